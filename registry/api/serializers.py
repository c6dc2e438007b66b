from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import Institution, InstitutionClass, Street
from ..services import LIFECYCLE_FIELDS, institution_create, institution_update, lifecycle_field_message
from ..validators import normalize_credit_code


class StreetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Street
        fields = ["code", "name", "kind"]


class InstitutionClassSerializer(serializers.ModelSerializer):
    """The classes of one type an institution runs, and how many children they take."""

    class Meta:
        model = InstitutionClass
        fields = ["class_type", "class_count", "capacity"]


# Detail, writes and the schema. A list page is read by registry.selectors.institution_list_rows in this
# serializer's shape; tests/registry/test_list_rows.py holds the two together. (Its docstring is the schema's.)
class InstitutionSerializer(serializers.ModelSerializer):
    """A childcare institution for children under three (托育机构), with its classes."""

    street = serializers.SlugRelatedField(slug_field="code", queryset=Street.objects.all())
    street_name = serializers.CharField(source="street.name", read_only=True)
    classes = InstitutionClassSerializer(many=True, required=False)

    class Meta:
        model = Institution
        fields = [
            "id",
            "name",
            "credit_code",
            "kind",
            "ownership",
            "for_profit",
            "inclusive",
            "registration_authority",
            "street",
            "street_name",
            "address",
            "legal_representative",
            "contact_phone",
            "approved_places",
            "head_office",
            "demonstration_level",
            "livelihood_project",
            "status",
            "registered_on",
            "filed_on",
            "operating_since",
            "suspended_on",
            "closed_on",
            "archived",
            "classes",
            "created_at",
            "modified_at",
        ]
        # The status and its dates change only through the lifecycle endpoints (…/mark-filed/,
        # …/suspend/ …); ``registered_on`` may be given once, when the institution is registered.
        read_only_fields = [
            "archived",
            "created_at",
            "modified_at",
            "status",
            "filed_on",
            "operating_since",
            "suspended_on",
            "closed_on",
        ]

    def to_internal_value(self, data):
        # A read-only field is silently ignored by DRF; a client writing the status must hear it did not.
        if hasattr(data, "keys"):
            writable = {"registered_on"} if self.instance is None else set()
            sent = [name for name in LIFECYCLE_FIELDS if name in data and name not in writable]
            if sent:
                raise serializers.ValidationError({name: [lifecycle_field_message()] for name in sent})
        return super().to_internal_value(data)

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and "head_office" in fields:
            # A chain head office must be an institution the writer can see.
            fields["head_office"].queryset = Institution.objects.visible_to(request.user)
        return fields

    def validate_credit_code(self, value):
        return normalize_credit_code(value)

    def validate_classes(self, value):
        # A PATCH validates nested items partially, but a class is always given whole: it replaces the stored one.
        names = ("class_type", "class_count", "capacity")
        missing = [{name: [_("This field is required.")] for name in names if name not in item} for item in value]
        if any(missing):
            raise serializers.ValidationError(missing)
        types = [c["class_type"] for c in value]
        if len(types) != len(set(types)):
            raise serializers.ValidationError(_("List each class type once."))
        return value

    @transaction.atomic
    def create(self, validated_data):
        classes = validated_data.pop("classes", None)
        return institution_create(actor=self.context["request"].user, classes=classes, **validated_data)

    @transaction.atomic
    def update(self, instance, validated_data):
        classes = validated_data.pop("classes", None)
        return institution_update(
            institution=instance, actor=self.context["request"].user, classes=classes, **validated_data
        )


class LifecycleStepSerializer(serializers.Serializer):
    """The input of a lifecycle step: its date, the document that records it, and why."""

    effective_on = serializers.DateField(
        required=False, help_text=_("The date the step takes effect; today unless given. Not in the future.")
    )
    document_reference = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text=_("The reference of the document recording it.")
    )
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    required_inputs = ()

    def get_fields(self):
        fields = super().get_fields()
        for name in self.required_inputs:
            fields[name].required = True
            if hasattr(fields[name], "allow_blank"):
                fields[name].allow_blank = False
        return fields


class MarkFiledSerializer(LifecycleStepSerializer):
    """Record the filing (备案): its date, the filing receipt's reference, and a note."""

    required_inputs = ("effective_on", "document_reference", "reason")


class MarkOperatingSerializer(LifecycleStepSerializer):
    """Record the start of operations: its date, the document, and a note."""

    required_inputs = ("effective_on", "document_reference", "reason")


class SuspendSerializer(LifecycleStepSerializer):
    """Suspend: from which date, and why."""

    required_inputs = ("effective_on", "reason")


class ResumeSerializer(LifecycleStepSerializer):
    """Resume operations: from which date (today unless given)."""


class CloseSerializer(LifecycleStepSerializer):
    """Close and archive: why, and how the children were placed safely."""

    required_inputs = ("reason",)
