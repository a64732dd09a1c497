"""Safe XML parsing for BPMN files (issue 17).

A BPMN file comes from outside: it may be hostile. ``parse`` refuses, with a
``BpmnError`` that says why, before anything is built from it:

- a file over ``MAX_BYTES`` (10 MB by default; real diagrams are far smaller);
- any DTD (``<!DOCTYPE``): BPMN needs none, and a DTD is how entity expansion
  ("billion laughs") and external entities (``file:///etc/passwd``) get in —
  defusedxml refuses entities and external references besides, and expat never
  fetches anything from the network;
- elements nested deeper than ``MAX_DEPTH`` (checked while parsing, so a
  10,000-deep file never reaches code that recurses);
- a file that is not XML, or XML whose root is not BPMN's ``definitions``.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.common import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

__all__ = ["BPMN_NS", "MAX_BYTES", "MAX_DEPTH", "BpmnError", "parse"]

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
MAX_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 200


class BpmnError(ValueError):
    """The file is not a BPMN file Overture will read; the message says why. Nothing was written."""


class _TooDeep(Exception):
    pass


class _DepthBuilder(TreeBuilder):
    def __init__(self, max_depth: int) -> None:
        super().__init__()
        self.depth = 0
        self.max_depth = max_depth

    def start(self, tag: Any, attrs: Any) -> Element:
        self.depth += 1
        if self.depth > self.max_depth:
            raise _TooDeep()
        return super().start(tag, attrs)

    def end(self, tag: Any) -> Element:
        self.depth -= 1
        return super().end(tag)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def parse(data: bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Element:
    """The root ``definitions`` element of a BPMN 2.0 file, parsed safely; ``BpmnError`` otherwise."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, bytes | bytearray):
        raise BpmnError(f"expected the bytes of a BPMN file, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise BpmnError(f"the file is {_megabytes(len(data))}; at most {_megabytes(max_bytes)} is accepted")
    if not data.strip():
        raise BpmnError("the file is empty: not a BPMN file")
    parser = DefusedXMLParser(target=_DepthBuilder(max_depth), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    try:
        parser.feed(bytes(data))
        root: Element = parser.close()
    except _TooDeep:
        raise BpmnError(f"elements are nested more than {max_depth} deep: not a BPMN file Overture will read") from None
    except DTDForbidden:
        raise BpmnError(
            "the file declares a DTD (<!DOCTYPE ...>): BPMN files have none, and a DTD can define entities "
            "that expand without bound or read local files, so it is refused"
        ) from None
    except EntitiesForbidden as exc:
        raise BpmnError(f"the file defines an entity ({exc.name}): refused, BPMN files define none") from None
    except ExternalReferenceForbidden as exc:
        raise BpmnError(f"the file refers to an external resource ({exc.sysid}): refused, nothing is fetched") from None
    except DefusedXmlException as exc:
        raise BpmnError(f"the file uses an XML feature that is refused: {exc}") from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        where = f" (line {line}, column {(column or 0) + 1})" if line else ""
        reason = str(exc).split(":")[0]
        raise BpmnError(f"not XML: {reason}{where}") from None
    except RecursionError:
        raise BpmnError("elements are nested too deep: not a BPMN file Overture will read") from None
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise BpmnError(
            f"XML, but not BPMN 2.0: the root element is <{_local(root.tag)}>"
            f"{' in namespace ' + _namespace(root.tag) if _namespace(root.tag) else ' without a namespace'}, "
            f"where a BPMN file has <definitions> in namespace {BPMN_NS}"
        )
    return root


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
