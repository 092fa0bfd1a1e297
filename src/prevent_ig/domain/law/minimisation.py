"""Rules step 6: release only what is relevant, justified and lawful (guidance §5, Caldicott 3).

Each item is judged on its own, so one unlawful or irrelevant item never sinks the rest, and each
withheld item carries the first reason that applies, which is the one a lead must fix first.
"""

from dataclasses import dataclass

from prevent_ig.domain.law.assessment import Item
from prevent_ig.domain.law.decision import WithheldItem
from prevent_ig.domain.law.findings import SensitiveConditions
from prevent_ig.domain.law.vocabulary import WithheldReason


@dataclass(frozen=True, slots=True)
class Sorting:
    released: list[Item]
    withheld: list[WithheldItem]

    @property
    def any_without_condition(self) -> bool:
        return any(w.reason is WithheldReason.NO_CONDITION for w in self.withheld)


def withheld_reason(item: Item, conditions: SensitiveConditions) -> WithheldReason | None:
    if not item.relevant:
        return WithheldReason.NOT_RELEVANT
    if not item.justification.strip():
        return WithheldReason.NO_JUSTIFICATION
    if item.category.is_sensitive and not conditions.available:
        return WithheldReason.NO_CONDITION
    return None


def sort_items(items: list[Item], conditions: SensitiveConditions) -> Sorting:
    released: list[Item] = []
    withheld: list[WithheldItem] = []
    for item in items:
        why = withheld_reason(item, conditions)
        if why is None:
            released.append(item)
        else:
            withheld.append(WithheldItem(id=item.id, reason=why))
    return Sorting(released=released, withheld=withheld)
