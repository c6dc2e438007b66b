from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import Institution, InstitutionClass, Street
from ..services import institution_create, institution_update
from ..validators import normalize_credit_code
from .fast_read import FastReadMixin


class StreetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Street
        fields = ["code", "name", "kind"]


class InstitutionClassSerializer(FastReadMixin, serializers.ModelSerializer):
    """The classes of one type an institution runs, and how many children they take."""

    class Meta:
        model = InstitutionClass
        fields = ["class_type", "class_count", "capacity"]


class InstitutionSerializer(FastReadMixin, serializers.ModelSerializer):
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
        read_only_fields = ["archived", "created_at", "modified_at"]

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
