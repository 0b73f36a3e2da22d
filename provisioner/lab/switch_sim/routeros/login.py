"""The RouterOS SSH login: the password checked for the name without its console options (``user+ct…``),
and a shell channel per session."""

from __future__ import annotations

from typing import Any

from provisioner.lab.switch_sim.routeros.core import RouterOsCore
from provisioner.lab.switch_sim.routeros.shell import RouterOsShell


def user_name(login: str) -> str:
    """The user of a RouterOS login name: what comes before its ``+`` console options."""
    return login.split("+", 1)[0]


def realm_and_checker(core: RouterOsCore, username: str, password: str) -> tuple[Any, Any]:
    from twisted.conch import avatar
    from twisted.conch import interfaces as conch_interfaces
    from twisted.conch.ssh import session
    from twisted.cred import credentials, error, portal
    from twisted.cred.checkers import ICredentialsChecker
    from twisted.internet import defer
    from zope.interface import implementer  # type: ignore[import-untyped]

    @implementer(ICredentialsChecker)
    class Checker:
        credentialInterfaces = (credentials.IUsernamePassword,)  # noqa: N815 - Twisted's name

        def requestAvatarId(self, given: Any) -> Any:  # noqa: N802 - Twisted's name
            name = user_name(given.username.decode())
            if name == username and given.password == password.encode():
                return defer.succeed(given.username)
            return defer.fail(error.UnauthorizedLogin())

    @implementer(conch_interfaces.ISession)
    class Avatar(avatar.ConchUser):
        def __init__(self, login: str) -> None:
            super().__init__()  # type: ignore[no-untyped-call]
            self.user = user_name(login)
            self.channelLookup[b"session"] = session.SSHSession

        def openShell(self, process: Any) -> None:  # noqa: N802 - Twisted's name
            shell = RouterOsShell(core, self.user)
            shell.makeConnection(process)
            process.makeConnection(session.wrapProtocol(shell))  # type: ignore[arg-type]

        def getPty(self, *_: Any) -> None:  # noqa: N802 - Twisted's name
            return None

        def execCommand(self, *_: Any) -> None:  # noqa: N802 - Twisted's name
            raise NotImplementedError

        def windowChanged(self, *_: Any) -> None:  # noqa: N802 - Twisted's name
            return None

        def eofReceived(self) -> None:  # noqa: N802 - Twisted's name
            return None

        def closed(self) -> None:
            return None

    @implementer(portal.IRealm)
    class Realm:
        def requestAvatar(self, avatar_id: bytes, _mind: Any, *interfaces: Any) -> Any:  # noqa: N802
            return interfaces[0], Avatar(avatar_id.decode()), lambda: None

    return Realm(), Checker()
