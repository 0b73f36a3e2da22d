"""Every program the code, the lab, the tests and the benches run on the host is on this machine, comes from a
package that `scripts/setup.sh` installs (or from Debian's required base), and is named in
`provisioner.host_programs` — which a scan of the sources keeps complete.

The scan reads the Python sources of provisioner/, tests/, bench/ and scripts/ (argument lists given to
subprocess, to the lab's `run`/`succeeds`/`procs.start`, and the program after `ip netns exec NS`, `timeout`,
`runuser --`, `unshare`, ...; shell text given to `sh -c`) and the shell scripts (scripts/, .ci/run). What
runs inside a lab server (`run_in`, `nsenter`, `chroot`, provisioner/lab/guest/) comes from the server's image
and is not a host program.
"""

from __future__ import annotations

import ast
import functools
import itertools
import re
import shlex
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioner.host_programs import HOST_PROGRAMS, HostProgram, candidates

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("provisioner", "tests", "bench", "scripts")
GUEST_DIRS = (ROOT / "provisioner" / "lab" / "guest",)
SHELL_SCRIPTS = ("scripts/*.sh", "scripts/setup.d/*.sh", ".ci/run")

Words = tuple[str | None, ...]  # an argument list as far as the source tells it; None: not known there

# Calls that execute their first argument (an argument list) on the host.
_EXEC_FUNCS = {("subprocess", f) for f in ("run", "Popen", "check_output", "check_call", "call")}
_EXEC_FUNCS |= {("sh", "run"), ("sh", "succeeds"), ("procs", "start")}
_EXEC_IMPORTS = {"provisioner.lab.sh": {"run", "succeeds"}, "provisioner.lab.procs": {"start"}}

# Programs that run another one: how many of their words (options and operands) come before it.
_WRAPPERS_SKIP = {"timeout": 1, "flock": 1, "nice": 0, "setsid": 0, "env": 0, "sudo": 0}
_SHELLS = {"sh", "bash", "dash"}
_SHELL_WORDS = {
    "set", "cd", "export", "echo", "printf", "exit", "return", "local", "read", "shift", "command",
    "source", ".", "eval", "test", "[", "[[", "]]", "]", "true", "false", "wait", "trap", "unset", ":",
    "for", "in", "do", "done", "if", "then", "fi", "else", "elif", "while", "until", "case", "esac",
    "break", "continue", "{", "}", "!", "time", "exec", "function", "declare", "readonly", "umask", "type",
    "hash", "alias",
}
_SEPARATORS = {";", "&&", "||", "|", "&", "(", ")", "{", "}", ";;", "\n"}
_REDIRECTS = re.compile(r"^\d*(>>?|<<?|>&|<&|&>>?)$")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SUBSTITUTION = re.compile(r"\$\(([^()]*)\)")
_ARRAY = re.compile(r"^\s*[A-Za-z_]\w*=\((?:[^\n)]*\)|.*?^\s*\))", re.MULTILINE | re.DOTALL)  # name=( ... )


# ---- shell text ----------------------------------------------------------------------------------------

def shell_programs(text: str) -> set[str]:
    """The first words of the commands in shell `text` (its own functions, builtins, variables left out)."""
    found: set[str] = set()
    while match := _SUBSTITUTION.search(text):  # innermost $(...) first, each a command list of its own
        found |= shell_programs(match.group(1))
        text = text[:match.start()] + "_" + text[match.end():]
    text = _ARRAY.sub("", re.sub(r"\\\n", " ", text))
    functions = set(re.findall(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*\(\)", text, re.MULTILINE))
    for line in text.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        try:
            tokens = list(lexer)
        except ValueError:  # a quote spanning lines: the rest of it is data
            continue
        found |= _command_words(tokens, functions)
    return found


def _command_words(tokens: list[str], functions: set[str]) -> set[str]:
    found: set[str] = set()
    at_command, skip_next, in_for = True, False, False
    for index, token in enumerate(tokens):
        if skip_next:
            skip_next = False
            continue
        if _REDIRECTS.match(token):
            skip_next = True
            continue
        if token in _SEPARATORS:
            at_command, in_for = True, False
            continue
        if not at_command or in_for:
            continue
        if token == "for":
            in_for = True
            continue
        if token in _SHELL_WORDS or _ASSIGNMENT.match(token):
            continue
        at_command = False
        if token.startswith(("$", "-")) or token in functions:
            continue
        found |= set(programs_of(_until_separator(tuple(tokens[index:]))))
    return found


def _until_separator(words: Words) -> Words:
    return tuple(itertools.takewhile(lambda w: w not in _SEPARATORS, words))


# ---- argument lists ------------------------------------------------------------------------------------

def program_name(word: str) -> str | None:
    """The program a first word names: `nft`, `/usr/bin/prometheus` -> `prometheus`; None for a project
    file (`scripts/setup.sh`, `./x`) or a word that is not a program name."""
    if word.startswith("/"):
        return word.rsplit("/", 1)[1] or None
    return word if re.fullmatch(r"[a-z][a-z0-9_.+-]*", word) else None


def programs_of(words: Words) -> Iterator[str]:
    """The host programs an argument list runs: its first word and what a wrapper (`ip netns exec NS`,
    `timeout S`, `runuser -u U --`, `unshare ...`) runs in turn; shell text given to `sh -c`. What `nsenter`
    and `chroot` run comes from a lab server's root filesystem."""
    if not words or words[0] is None:
        return
    name = program_name(words[0])
    if name is None:
        return
    yield name
    rest = words[1:]
    if name == "ip" and rest[:2] == ("netns", "exec"):
        yield from programs_of(rest[3:])
    elif name in _WRAPPERS_SKIP:
        yield from programs_of(_after_options(rest)[_WRAPPERS_SKIP[name]:])
    elif name == "runuser" and "--" in rest:
        yield from programs_of(rest[rest.index("--") + 1:])
    elif name == "unshare":
        yield from programs_of(_after_options(rest))
    elif name in _SHELLS and rest[:1] == ("-c",) and len(rest) > 1 and rest[1] is not None:
        yield from shell_programs(rest[1])


def _after_options(words: Words) -> Words:
    """`words` from the first that is neither an option nor a VAR=value."""
    return tuple(itertools.dropwhile(lambda w: w is not None and (w.startswith("-") or "=" in w), words))


class _Module:
    """One Python source: what its names are bound to, to follow an argument list kept in a variable."""

    def __init__(self, path: Path) -> None:
        self.tree = ast.parse(path.read_text(), str(path))
        self.bindings: dict[str, list[ast.expr]] = {}
        self.exec_names: set[str] = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.bindings.setdefault(target.id, []).append(node.value)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
                self.bindings.setdefault(node.target.id, []).append(node.value)
            elif isinstance(node, ast.ImportFrom) and node.module in _EXEC_IMPORTS:
                wanted = _EXEC_IMPORTS[node.module]
                self.exec_names |= {a.asname or a.name for a in node.names if a.name in wanted}

    def is_exec(self, func: ast.expr) -> bool:
        if isinstance(func, ast.Name):
            return func.id in self.exec_names
        return (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and (func.value.id, func.attr) in _EXEC_FUNCS)

    def argument_lists(self) -> Iterator[tuple[int, ast.expr]]:
        """(line, argument list expression) of every call that runs a program on the host."""
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Call):
                continue
            if self.is_exec(node.func) and node.args:
                yield node.lineno, node.args[0]
            elif (isinstance(node.func, ast.Name | ast.Attribute) and _attr(node.func) == "Timer"
                  and len(node.args) >= 3 and self.is_exec(node.args[1])
                  and isinstance(node.args[2], ast.Tuple) and node.args[2].elts):
                yield node.lineno, node.args[2].elts[0]  # threading.Timer(delay, subprocess.run, (argv,))

    def words(self, node: ast.expr, depth: int = 0) -> list[Words]:
        """Every argument list `node` may stand for (each branch of an `if`, each binding of a name)."""
        if depth > 5:
            return [(None,)]
        if isinstance(node, ast.List | ast.Tuple):
            parts = [self._element(e, depth) for e in node.elts]
            return [tuple(itertools.chain.from_iterable(chosen)) for chosen in itertools.product(*parts)]
        if isinstance(node, ast.Name) and node.id in self.bindings:
            return [w for value in self.bindings[node.id] for w in self.words(value, depth + 1)]
        if isinstance(node, ast.IfExp):
            return self.words(node.body, depth + 1) + self.words(node.orelse, depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            right = self.words(node.right, depth + 1)
            return [a + b for a in self.words(node.left, depth + 1) for b in right]
        return [(None,)]

    def _element(self, node: ast.expr, depth: int) -> list[Words]:
        if isinstance(node, ast.Starred):
            return self.words(node.value, depth + 1)
        return [(word,) for word in self.strings(node, depth)]

    def strings(self, node: ast.expr, depth: int = 0) -> list[str | None]:
        """The string values `node` may have: a constant, a name bound to one, `str(dir / "initdb")`."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.Name) and node.id in self.bindings and depth <= 5:
            return [s for value in self.bindings[node.id] for s in self.strings(value, depth + 1)]
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str"
                and len(node.args) == 1):
            inner = node.args[0]
            if isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Div):
                return [f"/{s}" if s else None for s in self.strings(inner.right, depth + 1)]
        return [None]


def _attr(func: ast.Name | ast.Attribute) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr


def python_programs(path: Path) -> Iterator[tuple[int, str]]:
    """(line, program) for each host program the Python source at `path` runs."""
    module = _Module(path)
    for line, node in module.argument_lists():
        for words in module.words(node):
            for name in programs_of(words):
                yield line, name


def python_sources() -> Iterator[Path]:
    for folder in SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if not any(path.is_relative_to(guest) for guest in GUEST_DIRS):
                yield path


@functools.cache
def exec_sites() -> dict[str, list[str]]:
    """Each host program the sources run, with where (file:line) they run it."""
    sites: dict[str, list[str]] = {}
    for path in python_sources():
        for line, name in python_programs(path):
            sites.setdefault(name, []).append(f"{path.relative_to(ROOT)}:{line}")
    for pattern in SHELL_SCRIPTS:
        for path in sorted(ROOT.glob(pattern)):
            for name in shell_programs(path.read_text()):
                sites.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return sites


# ---- what setup.sh and pyproject.toml install ------------------------------------------------------------

def setup_apt_packages() -> set[str]:
    """The packages in setup.sh's `apt_packages=( ... )` list."""
    text = (ROOT / "scripts" / "setup.sh").read_text()
    block = re.search(r"^apt_packages=\((.*?)^\)", text, re.MULTILINE | re.DOTALL)
    assert block, "scripts/setup.sh has no apt_packages=( ... ) list"
    return {w for line in block.group(1).splitlines() for w in line.split("#", 1)[0].split()}


def pip_distributions() -> set[str]:
    """The distributions pyproject.toml names (dependencies and every extra), lower-cased."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project.get("dependencies", [])) + list(
        itertools.chain.from_iterable(project.get("optional-dependencies", {}).values()))
    return {re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0].lower() for spec in specs}


def debian_priority(package: str) -> str:
    done = subprocess.run(["dpkg-query", "-W", "-f=${Priority}", package], capture_output=True, text=True,
                          check=False)
    return done.stdout.strip() if done.returncode == 0 else "not installed"


def _dpkg_paths(path: str) -> list[str]:
    """`path` as dpkg may know it: itself, its link target, without /usr on a /usr-merged system."""
    paths = [path, str(Path(path).resolve())]
    return list(dict.fromkeys(paths + [p.replace("/usr/", "/", 1) for p in paths if p.startswith("/usr/")]))


@functools.cache
def owners() -> dict[str, str]:
    """The Debian package that installed each path the listed programs have (one dpkg query for all)."""
    paths = {path: _dpkg_paths(path) for program in HOST_PROGRAMS for path in candidates(program)}
    done = subprocess.run(["dpkg", "-S", *itertools.chain.from_iterable(paths.values())], capture_output=True,
                          text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if ": " in line and not line.startswith("diversion")]
    found = {path: package.split(",")[0] for package, path in (line.split(": ", 1) for line in lines)}
    return {path: next((found[p] for p in known if p in found), "") for path, known in paths.items()}


def package_and_dependencies(package: str) -> set[str]:
    """`package` and the packages it depends on directly (postgresql -> postgresql-15)."""
    done = subprocess.run(["dpkg-query", "-W", "-f=${Pre-Depends},${Depends}", package], capture_output=True,
                          text=True, check=False)
    return {package} | {re.split(r"[\s(:]", alt.strip(), maxsplit=1)[0]
                        for alt in re.split(r"[,|]", done.stdout) if alt.strip()}


# ---- the tests -----------------------------------------------------------------------------------------

def _listed() -> dict[str, HostProgram]:
    return {p.name: p for p in HOST_PROGRAMS}


def test_the_scan_finds_the_programs_it_is_known_to_run() -> None:
    """The scan sees through each form the sources use, so a program it misses is not one it cannot read."""
    sites = exec_sites()
    for name, where in {
        "nft": "tests/integration/test_ansible_lab.py",  # ip netns exec NS nft (and via threading.Timer)
        "ovs-vsctl": "provisioner/lab",  # the lab's run()
        "ssh-keygen": "provisioner/runner/",  # subprocess.run
        "prometheus": "provisioner/lab/services.py",  # procs.start, ip netns exec NS /usr/bin/prometheus
        "initdb": "tests/conftest.py",  # runuser -u postgres -- str(bindir / "initdb")
        "runuser": "tests/conftest.py",
        "mount": "provisioner/lab/hosts.py",  # shell text given to sh -c
        "ping": "provisioner/checks/icmp.py",  # an argument list kept in a variable
        "molecule": "scripts/molecule-all.sh",  # a shell script
        "dpkg-query": "scripts/setup.sh",
    }.items():
        assert any(site.startswith(where) for site in sites.get(name, [])), (name, sites.get(name))


def test_the_scan_finds_a_program_in_each_form(tmp_path: Path) -> None:
    source = tmp_path / "source.py"
    source.write_text(
        "import subprocess\n"
        "from provisioner.lab.sh import run as lab_run\n"
        "ARGV = ['one', '-x']\n"
        "subprocess.run(ARGV, check=True)\n"
        "lab_run(['ip', 'netns', 'exec', ns, 'timeout', '5', 'two'], netns=ns)\n"
        "wrap = ['runuser', '-u', 'postgres', '--'] if root else []\n"
        "subprocess.Popen([*wrap, str(bindir / 'three'), '-D', data])\n"
        "subprocess.run(['sh', '-c', 'set -e; four --now && x=$(five) || exit 1'])\n"
        "lab.run_in('lab-srv1', ['six'])\n"  # inside a lab server: not a host program
    )
    found = {name for _line, name in python_programs(source)}
    assert found == {"one", "ip", "timeout", "two", "runuser", "three", "sh", "four", "five"}


def test_every_program_the_sources_run_is_listed() -> None:
    sites = exec_sites()
    unlisted = {name: where for name, where in sites.items() if name not in _listed()}
    assert not unlisted, (
        "programs run on the host that provisioner/host_programs.py does not list (add each with the "
        f"package that installs it, and have scripts/setup.sh install that package): {unlisted}"
    )


def test_every_listed_program_is_run_somewhere() -> None:
    unused = sorted(set(_listed()) - set(exec_sites()) - {p.name for p in HOST_PROGRAMS if p.indirect})
    assert not unused, f"listed but run nowhere (remove them, or mark them indirect): {unused}"


def test_each_program_comes_from_a_package_setup_installs() -> None:
    apt, pip = setup_apt_packages(), pip_distributions()
    problems = []
    for program in HOST_PROGRAMS:
        if program.source == "apt" and program.package not in apt:
            problems.append(f"{program.name}: Debian package {program.package} is not in setup.sh's apt list")
        elif program.source == "pip" and program.package.lower() not in pip:
            problems.append(f"{program.name}: {program.package} is not a dependency in pyproject.toml")
        elif program.source == "base" and debian_priority(program.package) != "required":
            problems.append(f"{program.name}: {program.package} is not one of Debian's required packages "
                            f"(it is {debian_priority(program.package)}): name it in setup.sh's apt list")
    assert not problems, problems


@pytest.mark.parametrize("program", HOST_PROGRAMS, ids=lambda p: p.name)
def test_each_program_is_installed_from_its_package(program: HostProgram) -> None:
    found = candidates(program)
    assert found, (
        f"{program.name} is not installed: it comes from the {program.source} package {program.package} "
        "(sudo bash scripts/setup.sh installs it)"
    )
    if program.source != "pip":
        owned = {path: owners()[path] for path in found}
        assert set(owned.values()) & package_and_dependencies(program.package), (program, owned)


def test_the_list_names_each_program_once() -> None:
    names = [p.name for p in HOST_PROGRAMS]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
