"""The SSH debug console: an admin console inside the hub, off by default, keys only, audited.

Never a shell: a line-oriented set of commands (hearth.debug_ssh.commands) over an asyncssh
server (hearth.debug_ssh.server) that offers public-key authentication only, with keys from
`ssh/authorized_keys.d/USERNAME` (hearth.debug_ssh.authorized) and an Ed25519 host key
(hearth.debug_ssh.host_key). Nothing here is imported unless `debug_ssh: enabled` is true, or
the CLI asks for the fingerprint.
"""
