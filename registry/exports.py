"""Excel exports of registry data (openpyxl). Callers pass an already scoped queryset."""

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .models import Institution


def _columns(visible_heads):
    return [
        (_("name"), lambda i: i.name, 36),
        (_("unified social credit code"), lambda i: i.credit_code, 22),
        (_("street or town"), lambda i: i.street.name, 12),
        (_("kind"), lambda i: i.get_kind_display(), 18),
        (_("ownership"), lambda i: i.get_ownership_display(), 14),
        (_("for-profit"), lambda i: _("Yes") if i.for_profit else _("No"), 8),
        (_("inclusive (普惠)"), lambda i: _("Yes") if i.inclusive else _("No"), 8),
        (_("approved places"), lambda i: i.approved_places, 10),
        (_("status"), lambda i: i.get_status_display(), 10),
        (_("registered on"), lambda i: i.registered_on, 12),
        (_("filed on"), lambda i: i.filed_on, 12),
        (_("address"), lambda i: i.address, 40),
        (_("legal representative"), lambda i: i.legal_representative, 12),
        (_("contact phone"), lambda i: i.contact_phone, 16),
        (_("chain head office"), lambda i: i.head_office.name if i.head_office_id in visible_heads else "", 30),
        (_("demonstration level"), lambda i: i.get_demonstration_level_display() if i.demonstration_level else "", 14),
        (_("livelihood project (民生实事)"), lambda i: _("Yes") if i.livelihood_project else _("No"), 10),
    ]


def institutions_workbook(queryset, *, user) -> bytes:
    """An .xlsx of ``queryset`` (already scoped to ``user``), one row an institution, headed in the
    user's language. A chain head office is named only if ``user`` may see it too."""
    visible_heads = set(
        Institution.objects.visible_to(user)
        .filter(pk__in=queryset.order_by().values("head_office_id"))
        .values_list("pk", flat=True)
    )
    wb = Workbook()
    ws = wb.active
    ws.title = _("Institutions")[:31]
    columns = _columns(visible_heads)
    ws.append([title for title, _get, _w in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for index, (_title, _get, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    for inst in queryset.select_related("street", "head_office").iterator(chunk_size=2000):
        ws.append([get(inst) for _title, get, _w in columns])
        for cell in ws[ws.max_row]:
            # openpyxl writes a text that starts with "=" as a formula. Names and addresses come from
            # outside (the API, registrations): keep them text, so that opening the file runs nothing.
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    ws.freeze_panes = "A2"
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def export_filename(prefix="institutions"):
    return f"{prefix}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
