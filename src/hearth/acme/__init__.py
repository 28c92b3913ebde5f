"""ACME (RFC 8555): the hub obtains and renews its own certificate, from Let's Encrypt or others."""
