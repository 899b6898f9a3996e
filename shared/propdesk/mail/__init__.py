"""E-mail to traders: one template per message, rendered here, in our own code, and sent through SES.

Each template is a pure function from a small typed input (only what the message needs: no names, no
addresses, nothing the trader did not ask to be told) to an `EmailContent` with a subject, a plain-text and an
HTML part, and its template name and version. Why render here rather than with SES's stored templates:

- testable: every message is an ordinary function, so unit tests read the very text a trader gets
  ("the breach e-mail explains the rule, the figures and the time in the trader's zone");
- the same everywhere: the local cloud's SES records exactly what AWS would send, with no template resources
  to deploy and keep in step with the code (a template change ships with the code that fills it);
- safe: every value is escaped for HTML in one place (`letter.py`); times are shown in the trader's zone and
  money with its currency by one set of helpers (`formatting.py`);
- versioned with the code: a template's `version` goes out as a message tag, so a complaint or a bounce is
  traced to the exact wording.

Modules: `letter` (the layout), `formatting`, one module per subject (`purchases`, `evaluation`, `kyc`,
`payouts`), and `delivery` (send a message at most once per event and template).
"""
