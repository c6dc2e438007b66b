# The outbox no longer knows registrations: each existing delivery's registration becomes its
# subject (contenttypes), with the topic, label and stored payload the registry now gives it.
# The payload is rebuilt exactly as the delivery sent (or would send) it: from the
# registration as registered, with the delivery's own Idempotency-Key.

from django.db import migrations
from django.utils import translation

TOPIC = "registry.registration_push"


def forwards(apps, schema_editor):
    from django.conf import settings

    from luchen_care.accounts.models import Authority
    from registry import payloads
    from registry.models import RegistrationKind

    ContentType = apps.get_model("contenttypes", "ContentType")
    PushDelivery = apps.get_model("exchange", "PushDelivery")
    HistoricalPushDelivery = apps.get_model("exchange", "HistoricalPushDelivery")
    Registration = apps.get_model("registry", "Registration")
    registration_type, _created = ContentType.objects.get_or_create(app_label="registry", model="registration")
    registrations = {}
    with translation.override(settings.LANGUAGE_CODE):
        for delivery in PushDelivery.objects.filter(subject_id__isnull=True).order_by("pk").iterator():
            registration = registrations.get(delivery.registration_id)
            if registration is None:
                registration = Registration.objects.select_related("institution__street").get(
                    pk=delivery.registration_id
                )
                registrations = {delivery.registration_id: registration}  # rows come grouped; keep one
                # A migration's model has the choices' values, not their translated labels.
                registration.get_authority_display = lambda r=registration: Authority(r.authority).label
                registration.get_kind_display = lambda r=registration: RegistrationKind(r.kind).label
            if delivery.channel == "webhook":
                payload = payloads.registration_push_document(registration, key=delivery.idempotency_key)
            else:
                title, text = payloads.registration_markdown(registration)
                payload = (
                    {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
                    if delivery.channel == "dingtalk"
                    else {"title": title, "text": text}
                )
            delivery.topic = TOPIC
            delivery.subject_type_id = registration_type.pk
            delivery.subject_id = registration.pk
            delivery.subject_label = payloads.registration_label(registration)[:255]
            delivery.payload = payload
            delivery.save(update_fields=["topic", "subject_type", "subject_id", "subject_label", "payload"])
    for row in HistoricalPushDelivery.objects.filter(subject_id__isnull=True).iterator():
        row.topic, row.subject_type_id, row.subject_id = TOPIC, registration_type.pk, row.registration_id
        row.save(update_fields=["topic", "subject_type", "subject_id"])


def backwards(apps, schema_editor):
    PushDelivery = apps.get_model("exchange", "PushDelivery")
    HistoricalPushDelivery = apps.get_model("exchange", "HistoricalPushDelivery")
    for model in (PushDelivery, HistoricalPushDelivery):
        for row in model.objects.filter(topic=TOPIC).iterator():
            row.registration_id = row.subject_id
            row.save(update_fields=["registration"])


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("exchange", "0004_generic_outbox"),
        ("registry", "0008_institution_transition"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
