"""One construct per concern: data, identity, secrets, realtime, events, workflows, api, monitoring."""
