"""Two OpenSSL settings Python's `ssl` module cannot make: key-exchange groups and TLS 1.3 suites.

Why ctypes, and why on the context itself:
- `SSLContext.set_ecdh_curve()` sets exactly one group. Mozilla's profiles need three (X25519,
  P-256, P-384); with only X25519, older clients cannot connect, and leaving OpenSSL's default
  list also offers X448, P-521 and the ffdhe groups, which Mozilla's profiles do not allow.
- Python has no setter for the TLS 1.3 cipher suites; OpenSSL's default happens to be Mozilla's
  three today, but a system-wide openssl.cnf may change it, so we set it explicitly.
- The alternative, an OpenSSL configuration file (OPENSSL_CONF with a `system_default` section),
  must be in place before OpenSSL initialises, which in practice means re-executing the process,
  replaces the distribution's own openssl.cnf, and changes every TLS connection the process
  makes (outgoing ones included). Calling `SSL_CTX_set1_groups_list` and
  `SSL_CTX_set_ciphersuites` on the server's context changes that context and nothing else.

Reaching the `SSL_CTX *`: it is the first field after the object header of CPython's
`PySSLContext` (Modules/_ssl.c), a layout unchanged across the CPython versions Hearth supports.
We never trust that blindly: before writing anything, the pointer must report the same options
as `SSLContext.options`, read through OpenSSL's own getter. The functions come from the libssl
that `_ssl` itself is linked against. If any of this fails, the hub refuses to start with TLS
rather than silently settle for fewer guarantees. Tests prove the result on the wire (openssl
s_client -groups, sslyze).
"""

from __future__ import annotations

import _ssl
import ctypes
import ssl
from functools import cache
from typing import Final

# openssl/ssl.h: SSL_CTX_set1_groups_list(ctx, s) is SSL_CTX_ctrl(ctx, 92, 0, s).
_SSL_CTRL_SET_GROUPS_LIST: Final = 92


class OpenSslUnavailable(Exception):
    """The running Python's OpenSSL cannot be configured as required."""


@cache
def _libssl() -> ctypes.CDLL:
    """The libssl that Python's `_ssl` module is linked against (its symbols, not another copy)."""
    try:
        lib = ctypes.CDLL(getattr(_ssl, "__file__", None))
        lib.SSL_CTX_get_options.restype = ctypes.c_uint64
        lib.SSL_CTX_get_options.argtypes = [ctypes.c_void_p]
        lib.SSL_CTX_ctrl.restype = ctypes.c_long
        lib.SSL_CTX_ctrl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_char_p]
        lib.SSL_CTX_set_ciphersuites.restype = ctypes.c_int
        lib.SSL_CTX_set_ciphersuites.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    except (OSError, AttributeError) as err:
        raise OpenSslUnavailable(
            f"this Python's ssl module does not expose OpenSSL 1.1.1+ ({ssl.OPENSSL_VERSION}): "
            f"{err}"
        ) from None
    return lib


def _ssl_ctx(context: ssl.SSLContext) -> int:
    """The address of the context's `SSL_CTX`, checked against OpenSSL before it is used."""
    lib = _libssl()
    address = ctypes.c_void_p.from_address(id(context) + object.__basicsize__).value
    if not address or lib.SSL_CTX_get_options(address) != int(context.options):
        raise OpenSslUnavailable(
            "cannot reach the OpenSSL context behind Python's ssl.SSLContext on this Python"
        )
    return address


def set_groups(context: ssl.SSLContext, groups: tuple[str, ...]) -> None:
    """Offer exactly `groups` (OpenSSL names such as X25519, P-256) for key exchange."""
    if _libssl().SSL_CTX_ctrl(_ssl_ctx(context), _SSL_CTRL_SET_GROUPS_LIST, 0, _join(groups)) != 1:
        raise OpenSslUnavailable(f"OpenSSL refused the group list {':'.join(groups)}")


def set_tls13_ciphersuites(context: ssl.SSLContext, suites: tuple[str, ...]) -> None:
    """Allow exactly `suites` for TLS 1.3."""
    if _libssl().SSL_CTX_set_ciphersuites(_ssl_ctx(context), _join(suites)) != 1:
        raise OpenSslUnavailable(f"OpenSSL refused the TLS 1.3 suites {':'.join(suites)}")


def _join(names: tuple[str, ...]) -> bytes:
    return ":".join(names).encode("ascii")
