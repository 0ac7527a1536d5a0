"""No attribute of a batchdeck widget, screen or app hides a Textual member.

`self.batch = <CachedBatch>` on a widget hides `Widget.batch()`, the context manager `recompose()`
calls: any recompose then raises `TypeError`. This walks every Widget/Screen/App subclass in
`batchdeck.tui`, reads every `self.<name> = …` in its methods and every lowercase class attribute,
and fails when the name is a method or a read-only property of Textual's base class. Setting a
Textual data descriptor that is meant to be set (`border_title`, `virtual_size`, reactives) is fine.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap
from collections.abc import Iterator

from textual.app import App
from textual.screen import Screen
from textual.widget import Widget

import batchdeck.tui


def tui_classes() -> Iterator[type]:
    """Every Widget, Screen and App subclass defined in batchdeck.tui (imported module by module)."""
    for info in pkgutil.walk_packages(batchdeck.tui.__path__, "batchdeck.tui."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if inspect.isclass(value) and value.__module__ == module.__name__ and issubclass(value, (Widget, App)):
                yield value


def assigned_names(cls: type) -> set[str]:
    """`self.x = …` (also in tuples, annotated and augmented) in the class's own methods, and its lowercase class
    attributes; nested classes (messages) are theirs, not the widget's."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0]
    assert isinstance(tree, ast.ClassDef)
    names: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, (ast.Assign, ast.AnnAssign)):  # class attributes
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name) and not t.id.isupper()}
        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Assign):
                targets = list(node.targets)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                targets = [node.target]
            else:
                continue
            for target in targets:
                for element in target.elts if isinstance(target, ast.Tuple) else [target]:
                    if isinstance(element, ast.Attribute) and ast.unparse(element.value) == "self":
                        names.add(element.attr)
    return names


def shadowed(base: type, name: str) -> bool:
    """True when `name` on `base` is something an instance attribute must not replace: a method, or a
    property that cannot be set."""
    try:
        member = inspect.getattr_static(base, name)
    except AttributeError:
        return False
    if isinstance(member, property):
        return member.fset is None
    if isinstance(member, (staticmethod, classmethod)):
        return True
    return inspect.isfunction(member) or inspect.ismethoddescriptor(member)


def shadowing(cls: type) -> list[str]:
    base = App if issubclass(cls, App) else Screen if issubclass(cls, Screen) else Widget
    return sorted(
        f"{cls.__name__}.{name} hides {base.__name__}.{name}" for name in assigned_names(cls) if shadowed(base, name)
    )


def test_no_tui_attribute_hides_a_textual_member() -> None:
    classes = list(tui_classes())
    assert len(classes) >= 15  # the walk found the screens and widgets (an empty walk proves nothing)
    found = [line for cls in classes for line in shadowing(cls)]
    assert found == []


def test_the_check_catches_a_shadowing_attribute() -> None:
    """The check itself: the attribute that crashed recompose (`self.batch`) is caught; a settable one is not."""

    class Shadowing(Widget):
        def __init__(self) -> None:
            super().__init__()
            self.batch = None
            self.border_title = "fine: a descriptor meant to be set"

    class Fine(Widget):
        def __init__(self) -> None:
            super().__init__()
            self.shown_batch = None

    assert shadowing(Shadowing) == ["Shadowing.batch hides Widget.batch"]
    assert shadowing(Fine) == []
