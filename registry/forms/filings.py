"""The input of a filing's sections: one form per section, the one declaration the portal, the API
and the services validate with (``SECTION_FORMS``).

A form's ``cleaned_data`` is kept as the section's ``data`` through ``section_data`` (dates as
ISO text, amounts as decimal text), so what the reviewer reads is what the form accepted.
"""

import datetime
from decimal import Decimal

from django import forms
from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import ClassType, SectionKey
from ..validators import validate_phone

#: The most children a class of each type may take (托育机构设置标准（试行）: 乳儿班 10, 托小班 15,
#: 托大班 20, 混龄班 18).
CLASS_SIZE_LIMIT = {ClassType.INFANT: 10, ClassType.TODDLER: 15, ClassType.OLDER: 20, ClassType.MIXED: 18}
#: A leased premises must be leased for at least this many years (托育机构登记和备案办法).
LEASE_MIN_YEARS = 3

YES_NO = [(True, _("Yes")), (False, _("No"))]


class YesNoField(forms.TypedChoiceField):
    """是/否 as radio buttons; ``true``/``false``/``1``/``0`` (any case) are read as the buttons' values."""

    def to_python(self, value):
        value = super().to_python(value)
        return {"true": "True", "1": "True", "false": "False", "0": "False"}.get(str(value).lower(), value)


def _boolean(label, **kwargs):
    return YesNoField(
        label=label,
        choices=YES_NO,
        coerce=lambda value: value == "True",  # YesNoField.to_python has read every spelling
        widget=forms.RadioSelect,
        **kwargs,
    )


def _years_after(day, years):
    """``day`` ``years`` later (28 February for a 29th); ``None`` past the year 9999, which no lease reaches."""
    if day.year + years > datetime.date.max.year:
        return None
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class BasicSectionForm(forms.Form):
    contact_person = forms.CharField(label=_("Contact person"), max_length=50)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, validators=[validate_phone])
    address = forms.CharField(label=_("Address where children are cared for"), max_length=255)
    service_hours = forms.CharField(
        label=_("Opening hours"), max_length=100, help_text=_("For example: Monday to Friday, 7:30–17:30.")
    )


class PremisesSectionForm(forms.Form):
    TENURE = [("own", _("Own premises")), ("leased", _("Leased premises"))]

    tenure = forms.ChoiceField(label=_("Premises"), choices=TENURE, widget=forms.RadioSelect)
    floor_area = forms.DecimalField(
        label=_("Floor area (m²)"), max_digits=8, decimal_places=1, validators=[MinValueValidator(Decimal("1"))]
    )
    outdoor_area = forms.DecimalField(
        label=_("Outdoor play area (m²)"),
        max_digits=8,
        decimal_places=1,
        required=False,
        validators=[MinValueValidator(Decimal("0"))],
    )
    lease_start = forms.DateField(
        label=_("Lease starts on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    lease_end = forms.DateField(
        label=_("Lease ends on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("A lease must run for at least 3 years."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("tenure") != "leased":
            cleaned["lease_start"] = cleaned["lease_end"] = None
            return cleaned
        start, end = cleaned.get("lease_start"), cleaned.get("lease_end")
        if start is None and "lease_start" not in self.errors:
            self.add_error("lease_start", _("Give the day the lease starts."))
        if end is None and "lease_end" not in self.errors:
            self.add_error("lease_end", _("Give the day the lease ends."))
        if start and end:
            least = _years_after(start, LEASE_MIN_YEARS)
            if least is None or end < least:
                self.add_error(
                    "lease_end",
                    forms.ValidationError(
                        _(
                            "The lease runs from %(start)s to %(end)s, less than %(years)d years: leased premises "
                            "must be leased for at least %(years)d years."
                        ),
                        code="lease_too_short",
                        params={"start": start.isoformat(), "end": end.isoformat(), "years": LEASE_MIN_YEARS},
                    ),
                )
            elif end <= timezone.localdate():
                self.add_error(
                    "lease_end", forms.ValidationError(_("The lease has already ended."), code="lease_ended")
                )
        return cleaned


class ClassesSectionForm(forms.Form):
    """Per class type: how many classes and places (leave both empty for a type not offered)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for class_type in ClassType:
            self.fields[f"{class_type.value}_classes"] = forms.IntegerField(
                label=_("%(type)s: classes") % {"type": class_type.label}, min_value=0, max_value=50, required=False
            )
            self.fields[f"{class_type.value}_places"] = forms.IntegerField(
                label=_("%(type)s: places") % {"type": class_type.label}, min_value=0, max_value=1000, required=False
            )

    def clean(self):
        cleaned = super().clean()
        offered = 0
        for class_type in ClassType:
            names = (f"{class_type.value}_classes", f"{class_type.value}_places")
            if any(name in self.errors for name in names):
                continue  # refused on its own: a draft keeps what was typed
            classes, places = (cleaned.get(name) or 0 for name in names)
            cleaned[names[0]], cleaned[names[1]] = classes, places
            if classes and not places:
                self.add_error(f"{class_type.value}_places", _("Give the places of these classes."))
            elif places and not classes:
                self.add_error(f"{class_type.value}_classes", _("Give how many classes hold these places."))
            elif places > classes * CLASS_SIZE_LIMIT[class_type]:
                self.add_error(
                    f"{class_type.value}_places",
                    _("%(classes)d classes of this type take at most %(limit)d children.")
                    % {"classes": classes, "limit": classes * CLASS_SIZE_LIMIT[class_type]},
                )
            offered += classes
        if not offered and not self.errors:
            raise forms.ValidationError(_("Give at least one class."), code="no_classes")
        return cleaned


class StaffSectionForm(forms.Form):
    total = forms.IntegerField(label=_("Staff in all"), min_value=1, max_value=10000)
    caregivers = forms.IntegerField(label=_("Childcare workers (保育人员)"), min_value=0, max_value=10000)
    health_staff = forms.IntegerField(label=_("Health care staff (保健人员)"), min_value=0, max_value=1000)
    security_staff = forms.IntegerField(label=_("Security staff (保安人员)"), min_value=0, max_value=1000)
    all_certified = _boolean(
        _("Every staff member holds a health certificate and the qualification the post requires"),
        help_text=_("The staff issue lists each person; here the totals and the assurance."),
    )

    def clean(self):
        cleaned = super().clean()
        total = cleaned.get("total")
        parts = [cleaned.get(name) or 0 for name in ("caregivers", "health_staff", "security_staff")]
        if total is not None and sum(parts) > total:
            raise forms.ValidationError(_("The posts add up to more than the staff in all."), code="staff_sum")
        if cleaned.get("all_certified") is False:
            self.add_error("all_certified", _("Every staff member must hold the required certificates to file."))
        return cleaned


class SafetySectionForm(forms.Form):
    HYGIENE = [("pass", _("合格 (pass)")), ("fail", _("不合格 (fail)"))]

    hygiene_rating = forms.ChoiceField(
        label=_("Hygiene evaluation (托幼机构卫生评价)"), choices=HYGIENE, widget=forms.RadioSelect
    )
    hygiene_report_on = forms.DateField(label=_("Report dated"), widget=forms.DateInput(attrs={"type": "date"}))
    fire_safety_passed = _boolean(_("Passed the fire-safety inspection"))
    video_surveillance = _boolean(_("Video surveillance covers the children's rooms"))
    emergency_plan = _boolean(_("Has an emergency plan and drills"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("hygiene_rating") == "fail":
            self.add_error("hygiene_rating", _("Only a hygiene evaluation rated 合格 lets an institution file."))
        if cleaned.get("fire_safety_passed") is False:
            self.add_error("fire_safety_passed", _("A fire-safety inspection pass is required to file."))
        day = cleaned.get("hygiene_report_on")
        if day and day > timezone.localdate():
            self.add_error("hygiene_report_on", _("The report cannot be dated in the future."))
        return cleaned


class FoodSectionForm(forms.Form):
    serves_meals = _boolean(_("Serves meals"))
    food_licence_number = forms.CharField(label=_("Food business licence number"), max_length=40, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("serves_meals") and not (cleaned.get("food_licence_number") or "").strip():
            self.add_error(
                "food_licence_number", _("An institution that serves meals gives its food business licence.")
            )
        if cleaned.get("serves_meals") is False:
            cleaned["food_licence_number"] = ""
        return cleaned


class FeesSectionForm(forms.Form):
    """Per class type, the monthly fee for full-day and for half-day care (empty: not offered)."""

    includes = forms.CharField(
        label=_("What the fee includes"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: care, meals and snacks, activity materials."),
    )
    meal_fee = forms.DecimalField(
        label=_("Meal fee charged apart (yuan a month)"),
        max_digits=12,
        decimal_places=2,
        required=False,
        validators=[MinValueValidator(Decimal("0"))],
    )

    PERIODS = (("full_day", _("full day")), ("half_day", _("half day")))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for class_type in ClassType:
            for period, period_label in self.PERIODS:
                self.fields[f"{class_type.value}_{period}"] = forms.DecimalField(
                    label=_("%(type)s, %(period)s (yuan a month)") % {"type": class_type.label, "period": period_label},
                    max_digits=12,
                    decimal_places=2,
                    required=False,
                    validators=[MinValueValidator(Decimal("0"))],
                )

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(name) for name in self.fields if name.endswith(("_full_day", "_half_day"))):
            if not self.errors:
                raise forms.ValidationError(_("Give the fee of at least one class type."), code="no_fees")
        return cleaned


class CommitmentSectionForm(forms.Form):
    signatory = forms.CharField(label=_("Signed by (legal representative or head)"), max_length=50)
    signed_on = forms.DateField(label=_("Signed on"), widget=forms.DateInput(attrs={"type": "date"}))
    agreed = forms.BooleanField(
        label=_(
            "We commit that everything in this filing is true, and that the institution meets the basic "
            "conditions and will keep to them (备案承诺书)."
        )
    )

    def clean_signed_on(self):
        day = self.cleaned_data["signed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The commitment cannot be signed in the future."))
        return day


class PlacementSectionForm(forms.Form):
    """Where the children went when the institution closes (注销)."""

    children_count = forms.IntegerField(label=_("Children enrolled when closing"), min_value=0, max_value=10000)
    receiving_institutions = forms.CharField(
        label=_("Receiving institutions"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, with how many children each took in."),
    )
    families_informed = _boolean(_("Every family has been informed"))
    closing_on = forms.DateField(label=_("Closing on"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("children_count") and not (cleaned.get("receiving_institutions") or "").strip():
            self.add_error("receiving_institutions", _("Say which institutions took the children in."))
        if cleaned.get("families_informed") is False:
            self.add_error("families_informed", _("Inform every family before closing."))
        return cleaned


SECTION_FORMS = {
    SectionKey.BASIC: BasicSectionForm,
    SectionKey.PREMISES: PremisesSectionForm,
    SectionKey.CLASSES: ClassesSectionForm,
    SectionKey.STAFF: StaffSectionForm,
    SectionKey.SAFETY: SafetySectionForm,
    SectionKey.FOOD: FoodSectionForm,
    SectionKey.FEES: FeesSectionForm,
    SectionKey.COMMITMENT: CommitmentSectionForm,
    SectionKey.PLACEMENT: PlacementSectionForm,
}


def section_data(cleaned: dict) -> dict:
    """``cleaned_data`` as stored in ``FilingSection.data``: JSON values (ISO dates, decimal text)."""

    def plain(value):
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        return value

    return {name: plain(value) for name, value in cleaned.items()}
