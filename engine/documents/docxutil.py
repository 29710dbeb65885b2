"""Small python-docx helpers shared by the template builder and the packs."""
from __future__ import annotations

from docx.oxml.ns import qn

_REFS = (qn("w:basedOn"), qn("w:link"), qn("w:next"))


def prune_styles(document) -> int:
    """Drop the style definitions nothing uses (python-docx's default template carries ~160).

    Kept: styles the body, headers and footers reference, the default of each type, and every
    style those are based on or linked to. Fewer styles make a .docx quicker to open, render and
    merge (docxcompose lists the styles for each element it appends). Returns how many went."""
    styles = document.styles.element
    by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
    roots = [document.element.body]
    for section in document.sections:
        for part in (section.header, section.footer, section.first_page_header, section.first_page_footer,
                     section.even_page_header, section.even_page_footer):
            if not part.is_linked_to_previous:
                roots.append(part._element)
    wanted = {sid for sid, s in by_id.items() if s.get(qn("w:default")) in ("1", "true")}
    for root in roots:
        for tag in ("w:pStyle", "w:rStyle", "w:tblStyle"):
            wanted |= {el.get(qn("w:val")) for el in root.iter(qn(tag))}
    queue = list(wanted)
    while queue:
        style = by_id.get(queue.pop())
        if style is None:
            continue
        for ref in _REFS:
            child = style.find(ref)
            if child is not None and child.get(qn("w:val")) not in wanted:
                wanted.add(child.get(qn("w:val")))
                queue.append(child.get(qn("w:val")))
    removed = 0
    for sid, style in by_id.items():
        if sid not in wanted:
            styles.remove(style)
            removed += 1
    latent = styles.find(qn("w:latentStyles"))
    if latent is not None:
        styles.remove(latent)
    return removed


_UNNEEDED = ("/stylesWithEffects", "/customXml", "/thumbnail")


def drop_unneeded_parts(document) -> list[str]:
    """Drop parts python-docx's default template carries that no council form needs: the Word 2010
    `stylesWithEffects.xml` (430 kB, most of every file's size), customXml and the thumbnail.
    Word and LibreOffice open the file without them."""
    dropped = []
    for owner in (document.part, document.part.package):
        rels = owner.rels
        for rel_id, rel in list(rels.items()):
            if rel.reltype.endswith(_UNNEEDED):
                dropped.append(rel.reltype.rsplit("/", 1)[-1])
                rels.pop(rel_id)
    return dropped
