"""Layout rules of the integration, checked on its source with `ast` (no Home Assistant set-up).

1. The intra-package import graph has no cycle. Imports inside functions count; imports
   under `if TYPE_CHECKING:` do not (they never run).
2. Entity classes live only in the platform modules (sensor, event, notify) and in entity.py.
3. No module is longer than MAX_LINES lines.
4. api/ imports nothing from Home Assistant or from the rest of the integration (not even
   under TYPE_CHECKING: the client must type-check on its own).
5. Only errors.py turns SmsPilotError into Home Assistant errors: elsewhere no Home Assistant
   exception is built (directly, or by a function that returns or raises one) in a branch
   chosen by an SmsPilot error type (`except SmsPilot...Error`, `case SmsPilot...Error()`,
   `if isinstance(x, SmsPilot...Error)`). Calling errors.action_error/update_error there is
   the intended way.

Each rule's checker also runs on a small made-up source, so a checker that can no longer
fail is noticed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
import re
import textwrap
from typing import Final

import pytest

PACKAGE: Final = "custom_components.smspilot"
API: Final = f"{PACKAGE}.api"
PACKAGE_DIR: Final = Path(__file__).resolve().parents[1] / "custom_components" / "smspilot"
MAX_LINES: Final = 350

ENTITY_MODULES: Final = frozenset(
    f"{PACKAGE}.{name}" for name in ("entity", "sensor", "event", "notify")
)
# Home Assistant's entity bases we use; any other base named "...Entity" counts as well.
ENTITY_BASES: Final = frozenset(
    {
        "Entity",
        "SensorEntity",
        "RestoreSensor",
        "RestoreEntity",
        "EventEntity",
        "NotifyEntity",
        "CoordinatorEntity",
    }
)

ERRORS_MODULE: Final = f"{PACKAGE}.errors"
ERROR_MAPPERS: Final = frozenset({"action_error", "update_error"})
HA_EXCEPTIONS: Final = frozenset(
    {
        "HomeAssistantError",
        "ServiceValidationError",
        "UpdateFailed",
        "ConfigEntryAuthFailed",
        "ConfigEntryNotReady",
        "ConfigEntryError",
        "PlatformNotReady",
        "IntegrationError",
    }
)
_SMSPILOT_ERROR: Final = re.compile(r"SmsPilot\w*Error")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Replace conftest's fixture of the same name: these checks need no Home Assistant."""


# Reading the package


@dataclass(frozen=True, slots=True)
class Module:
    """One parsed module: its dotted name, its file relative to the package and its tree."""

    name: str
    path: str
    source: str
    tree: ast.Module
    is_package: bool


def make_module(name: str, source: str, *, is_package: bool = False) -> Module:
    """Parse `source` as the module `name`."""
    source = textwrap.dedent(source)
    path = name.removeprefix(PACKAGE).lstrip(".").replace(".", "/")
    path = f"{path}/__init__.py" if is_package else f"{path}.py"
    return Module(name, path.lstrip("/"), source, ast.parse(source), is_package)


@cache
def package_modules() -> Mapping[str, Module]:
    """Return every module of custom_components/smspilot by dotted name."""
    modules: dict[str, Module] = {}
    for file in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = list(file.relative_to(PACKAGE_DIR).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        name = ".".join([PACKAGE, *parts])
        source = file.read_text(encoding="utf-8")
        modules[name] = Module(
            name,
            file.relative_to(PACKAGE_DIR).as_posix(),
            source,
            ast.parse(source, str(file)),
            is_package,
        )
    return modules


def _show(modules: Mapping[str, Module], name: str) -> str:
    return modules[name].path if name in modules else name


# Imports


@dataclass(frozen=True, slots=True)
class ImportRef:
    """One import: the absolute module it names, the names taken from it (none for `import`)."""

    target: str
    names: tuple[str, ...]
    line: int
    type_checking: bool


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, type_checking: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Yield every node below `node`, telling whether it sits under `if TYPE_CHECKING:`."""
    for child in ast.iter_child_nodes(node):
        yield child, type_checking
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield stmt, True
                yield from _walk(stmt, True)
            for stmt in child.orelse:
                yield stmt, type_checking
                yield from _walk(stmt, type_checking)
        else:
            yield from _walk(child, type_checking)


def _absolute(module: Module, level: int, name: str | None) -> str:
    """Resolve a relative import of `module` ("" when it climbs out of every package)."""
    if level == 0:
        return name or ""
    parts = module.name.split(".")
    if not module.is_package:
        parts.pop()
    if level - 1 >= len(parts):
        return ""
    base = ".".join(parts[: len(parts) - (level - 1)])
    return f"{base}.{name}" if name else base


def iter_imports(module: Module) -> Iterator[ImportRef]:
    """Yield every import of the module, wherever it is (functions, branches, TYPE_CHECKING)."""
    for node, type_checking in _walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield ImportRef(alias.name, (), node.lineno, type_checking)
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(module, node.level, node.module)
            names = tuple(alias.name for alias in node.names)
            yield ImportRef(target, names, node.lineno, type_checking)


def _known(modules: Mapping[str, Module], dotted: str) -> str | None:
    """Return the module `dotted` names, or the closest package of ours around it."""
    while dotted:
        if dotted in modules:
            return dotted
        dotted = dotted.rpartition(".")[0]
    return None


def import_graph(modules: Mapping[str, Module]) -> dict[str, set[str]]:
    """Return, for each module, the modules of the package it imports at run time."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for module in modules.values():
        for ref in iter_imports(module):
            if ref.type_checking:
                continue
            # `from pkg import sub` imports the submodule; other names come from pkg itself.
            submodules = [f"{ref.target}.{name}" for name in ref.names]
            targets = [sub for sub in submodules if sub in modules]
            if len(targets) < len(submodules) or not ref.names:
                targets.append(_known(modules, ref.target) or "")
            graph[module.name].update(t for t in targets if t and t != module.name)
    return graph


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """Return one import cycle as a path that ends where it starts, or None."""
    state: dict[str, bool] = {}  # True while on the current path, False once finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = True
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) is True:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        path.pop()
        state[node] = False
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_no_import_cycle() -> None:
    modules = package_modules()
    graph = import_graph(modules)
    # The graph sees real imports: relative, from a package and from a submodule.
    assert f"{PACKAGE}.const" in graph[PACKAGE]
    assert f"{API}.client" in graph[API]
    assert API in graph[f"{PACKAGE}.coordinator"]
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(_show(modules, name) for name in cycle)


def test_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"a"}}) == ["a", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
    fake = {
        m.name: m
        for m in (
            make_module(PACKAGE, "from . import fake_a", is_package=True),
            make_module(f"{PACKAGE}.fake_a", "from . import fake_b"),
            make_module(f"{PACKAGE}.fake_b", "def f():\n    from .fake_a import x"),
            make_module(
                f"{PACKAGE}.fake_c",
                """
                from typing import TYPE_CHECKING
                if TYPE_CHECKING:
                    from .fake_a import x
                else:
                    import custom_components.smspilot.fake_b
                """,
            ),
        )
    }
    graph = import_graph(fake)
    assert graph[f"{PACKAGE}.fake_c"] == {f"{PACKAGE}.fake_b"}
    assert find_cycle(graph) == [f"{PACKAGE}.fake_a", f"{PACKAGE}.fake_b", f"{PACKAGE}.fake_a"]


# Entities


def _base_name(base: ast.expr) -> str | None:
    if isinstance(base, ast.Name):
        return base.id
    if isinstance(base, ast.Attribute):
        return base.attr
    if isinstance(base, ast.Subscript):  # Generic[...] and CoordinatorEntity[...]
        return _base_name(base.value)
    return None


def entity_classes(modules: Mapping[str, Module]) -> list[tuple[str, str, int]]:
    """Return (module, class, line) of every entity class, our own entity bases followed."""
    classes = [
        (module.name, node.name, node.lineno, {_base_name(base) for base in node.bases} - {None})
        for module in modules.values()
        for node in ast.walk(module.tree)
        if isinstance(node, ast.ClassDef)
    ]
    entities: set[str] = set()
    changed = True
    while changed:
        changed = False
        for _, name, _, bases in classes:
            if name not in entities and any(
                base in ENTITY_BASES or base in entities or str(base).endswith("Entity")
                for base in bases
            ):
                entities.add(name)
                changed = True
    return [(module, name, line) for module, name, line, _ in classes if name in entities]


def misplaced_entities(modules: Mapping[str, Module]) -> list[str]:
    """Describe the entity classes outside the platform modules and entity.py."""
    return [
        f"{_show(modules, module)}:{line} {name}"
        for module, name, line in entity_classes(modules)
        if module not in ENTITY_MODULES
    ]


def test_entities_live_in_platforms() -> None:
    modules = package_modules()
    found = {name for _, name, _ in entity_classes(modules)}
    assert {"SmsPilotEntity", "SmsPilotPushEntity"} <= found
    assert not misplaced_entities(modules), "entity classes outside the platforms: " + ", ".join(
        misplaced_entities(modules)
    )


def test_entity_finder_follows_bases() -> None:
    fake = make_module(
        f"{PACKAGE}.fake",
        """
        class Base(SensorEntity): ...
        class Child(Base): ...
        class Pushed(SmsPilotPushEntity): ...
        class Generic(platform.CoordinatorEntity[Thing]): ...
        class Plain(Exception): ...
        """,
    )
    assert [name for _, name, _ in entity_classes({fake.name: fake})] == [
        "Base",
        "Child",
        "Pushed",
        "Generic",
    ]
    assert misplaced_entities({fake.name: fake})[0] == "fake.py:2 Base"


# Size


def oversized(modules: Mapping[str, Module], limit: int = MAX_LINES) -> dict[str, int]:
    """Return the modules longer than `limit` lines, with their lengths."""
    lengths = {module.path: len(module.source.splitlines()) for module in modules.values()}
    return {path: length for path, length in lengths.items() if length > limit}


def test_modules_are_small() -> None:
    too_long = oversized(package_modules())
    assert not too_long, f"modules over {MAX_LINES} lines: " + ", ".join(
        f"{path} ({length})" for path, length in sorted(too_long.items())
    )


def test_size_check_counts_lines() -> None:
    long = make_module(f"{PACKAGE}.fake_long", "x = 1\n" * (MAX_LINES + 1))
    short = make_module(f"{PACKAGE}.fake_short", "x = 1\n" * MAX_LINES)
    assert oversized({long.name: long, short.name: short}) == {"fake_long.py": MAX_LINES + 1}


# The client package


def api_leaks(modules: Mapping[str, Module]) -> list[str]:
    """Describe the imports of api/ that reach Home Assistant or the rest of the integration."""
    leaks: list[str] = []
    for module in modules.values():
        if module.name != API and not module.name.startswith(f"{API}."):
            continue
        for ref in iter_imports(module):
            top = ref.target.partition(".")[0]
            inside = ref.target == API or ref.target.startswith(f"{API}.")
            if not ref.target or (top in ("homeassistant", "custom_components") and not inside):
                leaks.append(f"{module.path}:{ref.line} imports {ref.target or '(outside)'}")
    return leaks


def test_api_stands_alone() -> None:
    modules = package_modules()
    assert sum(name.startswith(f"{API}.") for name in modules) >= 5
    assert not api_leaks(modules), "api/ depends on its users: " + ", ".join(api_leaks(modules))


def test_api_check_sees_leaks() -> None:
    fake = make_module(
        f"{API}.fake",
        """
        from typing import TYPE_CHECKING
        import aiohttp
        from .errors import SmsPilotError
        from homeassistant.core import HomeAssistant
        from ..const import DOMAIN
        def f():
            from custom_components.smspilot import models
        if TYPE_CHECKING:
            import homeassistant
        """,
    )
    assert api_leaks({fake.name: fake}) == [
        "api/fake.py:5 imports homeassistant.core",
        "api/fake.py:6 imports custom_components.smspilot.const",
        "api/fake.py:8 imports custom_components.smspilot",
        "api/fake.py:10 imports homeassistant",
    ]


# Error mapping


def _call_name(node: ast.AST | None) -> str:
    """Return the name a call calls ("" for anything else)."""
    if isinstance(node, ast.Call):
        return _base_name(node.func) or ""
    return ""


def _names_smspilot_error(expr: ast.AST | None) -> bool:
    return expr is not None and any(
        _SMSPILOT_ERROR.fullmatch(_base_name(node) or "")
        for node in ast.walk(expr)
        if isinstance(node, ast.Name | ast.Attribute)
    )


def _smspilot_branches(tree: ast.Module) -> Iterator[tuple[str, list[ast.stmt]]]:
    """Yield the code that runs because something is an SmsPilot error, with what chose it."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and _names_smspilot_error(node.type):
            yield "except", node.body
        elif isinstance(node, ast.match_case) and any(
            isinstance(pattern, ast.MatchClass) and _names_smspilot_error(pattern.cls)
            for pattern in ast.walk(node.pattern)
        ):
            yield "case", node.body
        elif isinstance(node, ast.If) and any(
            _call_name(call) == "isinstance"
            and isinstance(call, ast.Call)
            and len(call.args) == 2
            and _names_smspilot_error(call.args[1])
            for call in ast.walk(node.test)
        ):
            yield "isinstance", node.body


def exception_builders(modules: Mapping[str, Module]) -> set[str]:
    """Return the functions that return or raise a Home Assistant exception they construct."""
    return {
        func.name
        for module in modules.values()
        for func in ast.walk(module.tree)
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef)
        and any(
            isinstance(node, ast.Return | ast.Raise)
            and _call_name(node.exc if isinstance(node, ast.Raise) else node.value) in HA_EXCEPTIONS
            for node in ast.walk(func)
        )
    }


def _function_at(tree: ast.Module, line: int) -> str:
    spans = [
        (node.end_lineno - node.lineno, node.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.lineno <= line <= node.end_lineno
    ]
    return min(spans)[1] if spans else "<module>"


def error_mappings(
    modules: Mapping[str, Module], exempt: frozenset[str] = frozenset({ERRORS_MODULE})
) -> list[str]:
    """Describe each Home Assistant exception built in a branch chosen by an SmsPilot error."""
    forbidden = HA_EXCEPTIONS | (exception_builders(modules) - ERROR_MAPPERS)
    found: set[tuple[str, int, str]] = set()
    for module in modules.values():
        if module.name in exempt:
            continue
        for how, body in _smspilot_branches(module.tree):
            for stmt in body:
                for node in ast.walk(stmt):
                    if (name := _call_name(node)) in forbidden and isinstance(node, ast.Call):
                        found.add((module.name, node.lineno, f"{name}() under {how}"))
    return [
        f"{modules[name].path}:{line} {_function_at(modules[name].tree, line)}: {what}"
        for name, line, what in sorted(found)
    ]


def test_only_errors_module_maps_client_errors() -> None:
    modules = package_modules()
    defined = {
        node.name for node in modules[ERRORS_MODULE].tree.body if isinstance(node, ast.FunctionDef)
    }
    assert ERROR_MAPPERS.issubset(defined), defined
    assert not error_mappings(modules), (
        "SmsPilot errors mapped outside errors.py (use action_error/update_error): "
        + ", ".join(error_mappings(modules))
    )


def test_error_mapping_check_sees_mappings() -> None:
    # Not exempted, errors.py itself is what the rule looks for.
    real = error_mappings(package_modules(), exempt=frozenset())
    assert any(" action_error: " in finding for finding in real), real
    assert any(" update_error: " in finding for finding in real), real
    fake = make_module(
        f"{PACKAGE}.fake",
        """
        def _fail(err):
            return HomeAssistantError(translation_key="x")
        async def ok(err):
            try:
                await call()
            except SmsPilotError as err:
                raise action_error(err) from err
            except ValueError as err:
                raise HomeAssistantError("not from SmsPilot") from err
        async def bad(err):
            try:
                await call()
            except (api.SmsPilotConnectionError, OSError) as err:
                raise exceptions.HomeAssistantError(translation_key="x") from err
            except SmsPilotError as err:
                raise _fail(err) from err
            match err:
                case SmsPilotAuthenticationError():
                    return UpdateFailed()
            if isinstance(err, SmsPilotAccountBlockedError):
                raise ServiceValidationError()
        """,
    )
    assert error_mappings({fake.name: fake}) == [
        "fake.py:15 bad: HomeAssistantError() under except",
        "fake.py:17 bad: _fail() under except",
        "fake.py:20 bad: UpdateFailed() under case",
        "fake.py:22 bad: ServiceValidationError() under isinstance",
    ]
