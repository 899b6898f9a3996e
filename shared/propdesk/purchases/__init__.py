"""Challenge purchases, pure domain: pricing, the order state machine, fraud pre-checks, normalized payment
events from the providers and reconciliation. No boto3, no clock reads, no environment reads: time and
outside systems come in as arguments or through the ports in `propdesk.purchases.ports`.
"""
