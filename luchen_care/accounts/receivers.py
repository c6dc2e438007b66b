"""What follows from a change to an account, whichever face made it."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import User
from .services import api_tokens_revoke_all


@receiver(post_save, sender=User, dispatch_uid="accounts.revoke_tokens_on_password_change")
def revoke_tokens_on_password_change(sender, instance, created, **kwargs):
    """A new password revokes the account's API tokens: whoever knew the old one loses its token too.

    ``AbstractBaseUser`` keeps the new raw password in ``_password`` until its ``save`` is done.
    The revocations are recorded in each token's history (by whoever made the request).
    """
    if created or getattr(instance, "_password", None) is None:
        return
    api_tokens_revoke_all(user=instance)
