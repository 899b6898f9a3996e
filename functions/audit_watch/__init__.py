"""audit_watch: the audit table's stream, filtered to MODIFY and REMOVE; any record is an alarm."""
