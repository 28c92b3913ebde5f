"""HTTPS: Mozilla's TLS profiles, the listener (plain HTTP on the TLS port, ACME's
tls-alpn-01) and certificate reloads without a restart."""
