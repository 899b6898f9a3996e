"""propdesk: the domain code of a serverless prop-firm back end.

Pure domain modules (the risk engine, money, time) hold no AWS; the data layer (`propdesk.data`) and the
adapters (`propdesk.adapters`) are the only places that talk to AWS or to outside providers.
"""
