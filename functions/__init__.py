"""Lambda handlers, one folder per function; each folder's name says what triggers it."""
