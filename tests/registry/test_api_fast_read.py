"""The API's fast read path (registry/api/fast_read.py) answers exactly what DRF's own path answers."""

import datetime as dt

import pytest
from django.test import RequestFactory
from django.utils import timezone
from rest_framework import serializers

from registry.api.fast_read import FastReadMixin
from registry.api.serializers import InstitutionClassSerializer, InstitutionSerializer
from registry.models import ClassType, DemonstrationLevel, InstitutionKind, InstitutionStatus
from registry.selectors import institution_list
from tests.factories import InstitutionClassFactory, InstitutionFactory, street


def drf_generic(self, instance):
    return serializers.Serializer.to_representation(self, instance)


@pytest.fixture
def institutions(db):
    head = InstitutionFactory(demonstration_level=DemonstrationLevel.CITY, inclusive=True)
    branch = InstitutionFactory(
        head_office=head,
        kind=InstitutionKind.COMMUNITY,
        street=street("330302023"),
        registered_on=dt.date(2024, 3, 1),
        filed_on=dt.date(2024, 4, 2),
        operating_since=dt.date(2024, 5, 3),
        livelihood_project=True,
        registration_authority="",
    )
    closed = InstitutionFactory(status=InstitutionStatus.CLOSED, closed_on=dt.date(2025, 1, 1), archived=True)
    InstitutionClassFactory(institution=head, class_type=ClassType.TODDLER, class_count=2, capacity=30)
    InstitutionClassFactory(institution=head, class_type=ClassType.INFANT, class_count=1, capacity=10)
    InstitutionClassFactory(institution=branch, class_type=ClassType.MIXED, class_count=1, capacity=18)
    # A timestamp on the hour in UTC (isoformat drops zero microseconds) and one with microseconds.
    type(head).objects.filter(pk=head.pk).update(created_at=dt.datetime(2025, 6, 1, 0, 0, tzinfo=dt.UTC))
    return [head, branch, closed]


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC"])
def test_a_list_page_is_the_same_through_the_fast_path_and_drfs(institutions, health_user, monkeypatch, zone):
    request = RequestFactory().get("/api/v1/institutions/")
    request.user = health_user
    rows = list(institution_list(user=health_user).order_by("id"))
    with timezone.override(zone):
        fast = InstitutionSerializer(rows, many=True, context={"request": request}).data
        monkeypatch.setattr(FastReadMixin, "to_representation", drf_generic)
        generic = InstitutionSerializer(rows, many=True, context={"request": request}).data
    assert fast == generic
    assert [c["class_type"] for c in fast[0]["classes"]] == ["infant", "toddler"]
    assert fast[1]["head_office"] == institutions[0].pk
    assert fast[0]["head_office"] is None
    if zone == "UTC":
        assert fast[0]["created_at"] == "2025-06-01T00:00:00Z"


def test_dict_rows_and_other_data_give_drfs_answer(db, monkeypatch):
    row = {"class_type": "infant", "class_count": 1, "capacity": 10}
    other = [("class_type", "older"), ("class_count", 2), ("capacity", 40)]
    fast = [InstitutionClassSerializer().to_representation(data) for data in (row, dict(other))]
    monkeypatch.setattr(FastReadMixin, "to_representation", drf_generic)
    assert fast == [InstitutionClassSerializer().to_representation(data) for data in (row, dict(other))]
    assert fast[0] == row


def test_a_page_not_prefetched_reads_its_classes_in_one_query(institutions, health_user, django_assert_num_queries):
    prefetched = list(institution_list(user=health_user).order_by("id"))
    plain = list(institution_list(user=health_user, with_classes=False).order_by("id"))
    expected = InstitutionSerializer(prefetched, many=True).data
    with django_assert_num_queries(1):
        assert InstitutionSerializer(plain, many=True).data == expected
    assert [len(row["classes"]) for row in expected] == [2, 1, 0]


def test_fields_built_once_per_class_are_fresh_copies_for_each_serializer(institutions, health_user, wuma_user):
    def head_office_choices(user):
        request = RequestFactory().get("/")
        request.user = user
        serializer = InstitutionSerializer(context={"request": request})
        return serializer, set(serializer.fields["head_office"].queryset.values_list("pk", flat=True))

    wuma_serializer, wuma = head_office_choices(wuma_user)
    health_serializer, health = head_office_choices(health_user)
    assert wuma == {i.pk for i in institutions if i.street.code == "330302006"}
    assert health == {i.pk for i in institutions}
    assert wuma_serializer.fields["name"] is not health_serializer.fields["name"]
    assert wuma_serializer.fields["name"].parent is wuma_serializer
