"""Certificates: a local CA for `hearth cert self-signed`, and checks of configured pairs."""
