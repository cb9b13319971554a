
from django.http import HttpRequest
from ninja import Router

from trustline.intake.choices import ItemKind, Target
from trustline.taxonomy.schemas import TaxonomyOut
from trustline.taxonomy.selectors import category_list

router = Router(tags=["taxonomy"])


@router.get("", response=TaxonomyOut, summary="Categories, item kinds and targets you can report")
def taxonomy(request: HttpRequest) -> dict[str, object]:
    return {
        "categories": list(category_list()),
        "item_kinds": [{"code": k.value, "name": str(k.label)} for k in ItemKind],
        "targets": [{"code": t.value, "name": str(t.label)} for t in Target],
    }
