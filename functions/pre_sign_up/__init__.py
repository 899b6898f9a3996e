"""pre_sign_up: Cognito PreSignUp trigger; refuses sign-ups our sign-up route would refuse."""
