"""The program's operations; each public call is one database transaction."""
