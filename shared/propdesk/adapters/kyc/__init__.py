"""KYC providers behind `propdesk.kyc.port.KycProvider`: Veriff (`veriff`) and Sumsub (`sumsub`), with what
they share: signature checks (`signing`), rotating secrets (`credentials`) and polite outbound calls
(`calls`)."""
