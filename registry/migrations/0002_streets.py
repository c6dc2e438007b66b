"""Lucheng's 12 streets and 2 towns with their NBS codes (2023 division codes)."""

from django.db import migrations

STREETS = [
    ("330302006", "五马街道", "street"),
    ("330302023", "七都街道", "street"),
    ("330302024", "滨江街道", "street"),
    ("330302025", "南汇街道", "street"),
    ("330302026", "松台街道", "street"),
    ("330302027", "双屿街道", "street"),
    ("330302028", "仰义街道", "street"),
    ("330302029", "大南街道", "street"),
    ("330302030", "蒲鞋市街道", "street"),
    ("330302031", "南郊街道", "street"),
    ("330302032", "广化街道", "street"),
    ("330302033", "丰门街道", "street"),
    ("330302102", "藤桥镇", "town"),
    ("330302105", "山福镇", "town"),
]


def load(apps, schema_editor):
    Street = apps.get_model("registry", "Street")
    for code, name, kind in STREETS:
        Street.objects.update_or_create(code=code, defaults={"name": name, "kind": kind})


def unload(apps, schema_editor):
    apps.get_model("registry", "Street").objects.filter(code__in=[c for c, _, _ in STREETS]).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
