"""The console language: menu paths, commands and their arguments, ``;``, ``[...]`` and ``$name``.

A line is split at ``;`` into commands (outside quotes and brackets). A command is an optional path
(``/interface bridge port`` or v7's ``/interface/bridge/port``; relative to the current menu unless it starts
with ``/``; names may be abbreviated while unambiguous), then a command of that menu and its arguments; a
path alone moves to that menu. In a value, ``"..."`` is text with RouterOS's escapes, ``$name`` is a variable
(none is defined: it gives nothing), and ``[...]`` runs a command and gives its result (``find`` gives the
items it matches). Refusals use RouterOS's words (``bad command name``, ``expected end of command``,
``syntax error`` with the line and column; ``no such item``, ``input does not match any value of``,
``failure: ...``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from provisioner.lab.switch_sim.routeros.menus import MENUS, SUBMENUS, CommandError, Menu, derived
from provisioner.lab.switch_sim.routeros.model import Config, Item
from provisioner.lab.switch_sim.routeros.output import export, print_detail, print_table

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "_": " ", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


@dataclass(frozen=True)
class Word:
    text: str
    column: int


def _syntax(column: int) -> CommandError:
    return CommandError(f"syntax error (line 1 column {column})")


def split(line: str, start: int = 1) -> list[list[Word]]:
    """Commands (split at ``;``) as words with their columns; unbalanced quotes or brackets: syntax error."""
    commands: list[list[Word]] = [[]]
    current, begin, quoted, depth, index = "", 0, False, 0, 0
    while index < len(line):
        char = line[index]
        if quoted and char == "\\" and index + 1 < len(line):
            current += line[index:index + 2]
            index += 2
            continue
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "[":
            depth += 1
        elif not quoted and char == "]":
            depth -= 1
            if depth < 0:
                raise _syntax(start + index)
        if not quoted and depth == 0 and char in " ;":
            if current:
                commands[-1].append(Word(current, start + begin))
            current = ""
            if char == ";":
                commands.append([])
        else:
            if not current:
                begin = index
            current += char
        index += 1
    if quoted or depth:
        raise _syntax(start + len(line))
    if current:
        commands[-1].append(Word(current, start + begin))
    return [c for c in commands if c]


class Console:
    """One session's interpreter over the shared configuration."""

    def __init__(self, config: Callable[[], Config], changed: Callable[[], None],
                 before_change: Callable[[], None]) -> None:
        self.config = config
        self.changed = changed
        self.before_change = before_change
        self.menu = ""

    # --------------------------------------------------------------------------------------------- lines
    def run_line(self, line: str) -> list[str]:
        """Run a typed line; its output lines (a refusal is the last line, and stops the line)."""
        out: list[str] = []
        try:
            for words in split(line):
                out += self.run(words, top=True)[0]
        except CommandError as error:
            out.append(str(error))
        return out

    def run(self, words: list[Word], top: bool) -> tuple[list[str], str]:
        """Output and value of one command."""
        path, at = self._path(words)
        if at == len(words):
            if top:
                self.menu = path
            return [], ""
        verb = self._verb(path, words[at])
        return verb(path, words[at + 1:])

    def _path(self, words: list[Word]) -> tuple[str, int]:
        """The menu a command names, and where its command word starts (``len(words)``: none)."""
        path = self.menu
        if words[0].text.startswith("/"):
            path = ""
            parts = [Word(n, words[0].column) for n in words[0].text.split("/") if n]
            words[:1] = parts
        at = 0
        while at < len(words):
            word = words[at]
            if word.text == "..":
                path = path.rpartition(" ")[0]
            elif "=" in word.text:
                break
            else:
                children = SUBMENUS.get(path, ())
                found = [c for c in children if c == word.text] or [
                    c for c in children if c.startswith(word.text)]
                if len(found) != 1:
                    break
                path = f"{path} {found[0]}" if path else f"/{found[0]}"
            at += 1
        return path, at

    def _commands(self, path: str) -> dict[str, Callable[[str, list[Word]], tuple[list[str], str]]]:
        table: dict[str, Callable[[str, list[Word]], tuple[list[str], str]]] = {"export": self.do_export}
        if path == "":
            table["quit"] = self.do_quit
        menu = MENUS.get(path)
        if menu is not None:
            table |= {"print": self.do_print, "set": self.do_set, "find": self.do_find}
            if menu.addable:
                table |= {"add": self.do_add, "remove": self.do_remove}
            if menu.prop("disabled"):
                table |= {"enable": self.do_enable, "disable": self.do_disable}
        return table

    def _verb(self, path: str, word: Word) -> Callable[[str, list[Word]], tuple[list[str], str]]:
        table = self._commands(path)
        found = [c for c in table if c == word.text] or [c for c in table if c.startswith(word.text)]
        if len(found) != 1:
            raise CommandError(f"bad command name {word.text} (line 1 column {word.column})")
        return table[found[0]]

    # -------------------------------------------------------------------------------------------- values
    def value(self, raw: Word, path: str) -> str:
        """A value word evaluated: quotes, escapes, ``$name`` (empty) and ``[command]``."""
        text, out, index = raw.text, "", 0
        while index < len(text):
            char = text[index]
            if char == '"':
                end = index + 1
                while text[end] != '"':
                    end += 2 if text[end] == "\\" else 1
                out += self._quoted(text[index + 1:end])
                index = end + 1
            elif char == "[":
                depth, end = 1, index + 1
                while depth:
                    depth += {"[": 1, "]": -1}.get(text[end], 0)
                    end += 1
                inner = split(text[index + 1:end - 1], raw.column + index + 1)
                for words in inner:
                    out += self._substitute(words, path)
                index = end
            elif char == "$":
                index = self._skip_variable(text, index + 1)
            else:
                out += char
                index += 1
        return out

    def _substitute(self, words: list[Word], path: str) -> str:
        saved = self.menu
        self.menu = path
        try:
            return self.run(words, top=False)[1]
        finally:
            self.menu = saved

    @staticmethod
    def _skip_variable(text: str, index: int) -> int:
        while index < len(text) and (text[index].isalnum() or text[index] in "-_"):
            index += 1
        return index

    def _quoted(self, body: str) -> str:
        out, index = "", 0
        while index < len(body):
            char = body[index]
            if char == "\\":
                nxt = body[index + 1:index + 3]
                if len(nxt) == 2 and all(c in "0123456789ABCDEF" for c in nxt):
                    out += chr(int(nxt, 16))
                    index += 3
                    continue
                out += _ESCAPES.get(body[index + 1], body[index + 1])
                index += 2
            elif char == "$":
                index = self._skip_variable(body, index + 1)
            else:
                out += char
                index += 1
        return out

    # --------------------------------------------------------------------------------------- arguments
    def _arguments(self, menu: Menu, words: list[Word], path: str,
                   positional: bool) -> tuple[str | None, dict[str, str]]:
        numbers: str | None = None
        props: dict[str, str] = {}
        for word in words:
            name, sep, raw = word.text.partition("=")
            if not sep or word.text[:1] in '["':
                if positional and numbers is None:
                    numbers = self.value(word, path)
                    continue
                raise CommandError(f"expected end of command (line 1 column {word.column})")
            if name == "numbers" and positional:
                numbers = self.value(Word(raw, word.column + len(name) + 1), path)
                continue
            prop = menu.prop(name)
            if prop is None or not prop.settable:
                raise CommandError(f"expected end of command (line 1 column {word.column})")
            value = self.value(Word(raw, word.column + len(name) + 1), path)
            props[name] = prop.check(value, name, self.config())
        return numbers, props

    def _select(self, menu: Menu, numbers: str | None) -> list[Item]:
        """The items `numbers` names: print numbers, internal ids (``*5``) or names, comma-separated."""
        if numbers is None:
            raise CommandError("missing value(s) of argument(s) numbers")
        items = self.config().items(menu.path)
        chosen: list[Item] = []
        for token in (t for t in numbers.split(",") if t):
            if token.startswith("*"):
                match = [i for i in items if f"*{i.id:X}" == token]
            elif token.isdigit():
                match = [items[int(token)]] if int(token) < len(items) else []
            else:
                match = [i for i in items if i.props.get("name") == token]
            if not match:
                raise CommandError("no such item")
            chosen += match
        return chosen

    # ---------------------------------------------------------------------------------------- commands
    def do_print(self, path: str, words: list[Word]) -> tuple[list[str], str]:
        flags = {w.text for w in words}
        unknown = [w for w in words if w.text not in ("detail", "without-paging")]
        if unknown:
            raise CommandError(f"expected end of command (line 1 column {unknown[0].column})")
        menu, items = MENUS[path], self.config().items(path)
        return (print_detail(menu, items) if "detail" in flags else print_table(menu, items)), ""

    def do_export(self, path: str, words: list[Word]) -> tuple[list[str], str]:
        unknown = [w for w in words if w.text not in ("terse", "hide-sensitive", "show-sensitive")]
        if unknown:
            raise CommandError(f"expected end of command (line 1 column {unknown[0].column})")
        menus = tuple(MENUS) if path == "" else (path,)
        return export(self.config(), menus, terse=any(w.text == "terse" for w in words)), ""

    def do_find(self, path: str, words: list[Word]) -> tuple[list[str], str]:
        menu = MENUS[path]
        conditions = []
        for word in words:
            if word.text == "where":
                continue
            name, sep, raw = word.text.partition("=")
            if not sep or menu.prop(name) is None:
                raise CommandError(f"expected end of command (line 1 column {word.column})")
            conditions.append((name, self.value(Word(raw, word.column + len(name) + 1), path)))
        found = [i for i in self.config().items(path)
                 if all(menu.value(i.props, n) == v for n, v in conditions)]
        return [], ",".join(f"*{i.id:X}" for i in found)

    def do_add(self, path: str, words: list[Word]) -> tuple[list[str], str]:
        menu = MENUS[path]
        _numbers, props = self._arguments(menu, words, path, positional=False)
        missing = [p.name for p in menu.props if p.required and p.name not in props]
        if missing:
            raise CommandError(f"failure: {missing[0]} not specified")
        if menu.unique is not None:
            name, failure = menu.unique
            if any(i.props.get(name) == props[name] for i in self.config().items(path)):
                raise CommandError(failure)
        self.before_change()
        derived(menu, props)
        item = self.config().add(path, props)
        self.changed()
        return [], f"*{item.id:X}"

    def do_set(self, path: str, words: list[Word]) -> tuple[list[str], str]:
        menu = MENUS[path]
        single = path == "/system identity"
        numbers, props = self._arguments(menu, words, path, positional=not single)
        items = self.config().items(path)[:1] if single else self._select(menu, numbers)
        if items:
            self.before_change()
            for item in items:
                item.props.update(props)
                derived(menu, item.props)
            self.changed()
        return [], ""

    def do_remove(self, path: str, words: list[Word]) -> tuple[list[str], str]:
        menu = MENUS[path]
        bad = [w for w in words
               if "=" in w.text and w.text[:1] not in '["' and not w.text.startswith("numbers=")]
        if bad:
            raise CommandError(f"expected end of command (line 1 column {bad[0].column})")
        numbers, _props = self._arguments(menu, words, path, positional=True)
        chosen = self._select(menu, numbers)
        if chosen:
            self.before_change()
            items = self.config().items(path)
            items[:] = [i for i in items if i not in chosen]
            self.changed()
        return [], ""

    def _set_disabled(self, path: str, words: list[Word], value: str) -> tuple[list[str], str]:
        menu = MENUS[path]
        numbers, _props = self._arguments(menu, words, path, positional=True)
        chosen = self._select(menu, numbers)
        if chosen:
            self.before_change()
            for item in chosen:
                item.props["disabled"] = value
            self.changed()
        return [], ""

    def do_enable(self, path: str, words: list[Word]) -> tuple[list[str], str]:
        return self._set_disabled(path, words, "no")

    def do_disable(self, path: str, words: list[Word]) -> tuple[list[str], str]:
        return self._set_disabled(path, words, "yes")

    def do_quit(self, _path: str, words: list[Word]) -> tuple[list[str], str]:
        if words:
            raise CommandError(f"expected end of command (line 1 column {words[0].column})")
        raise QuitSession


class QuitSession(Exception):
    """``quit``: the session ends."""
