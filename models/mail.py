from tortoise import fields

from models.base import EmailState, MailSecurity, TimestampedModel, fk


def default_folders() -> list[str]:
    return ["INBOX"]


class Mailbox(TimestampedModel):
    name = fields.CharField(200, unique=True)
    host = fields.CharField(255)
    port = fields.IntField()
    security = fields.CharEnumField(MailSecurity, max_length=16, default=MailSecurity.TLS)
    username = fields.CharField(255)
    password_env = fields.CharField(100, null=True, description="env variable with the password")
    password_file = fields.CharField(500, null=True, description="file readable by owner only")
    folders = fields.JSONField(default=default_folders)
    plus_pattern = fields.CharField(200, default="", description="e.g. sales+{tag}@firm.ua")
    after_commit = fields.CharField(16, default="", description="empty, seen or move:FOLDER")
    active = fields.BooleanField(default=True)

    class Meta:
        table = "mailbox"


class MailboxFolderState(TimestampedModel):
    """Ingest progress per mailbox, folder and UIDVALIDITY: the last UID done."""

    mailbox = fk("Mailbox", "folder_states", on_delete=fields.CASCADE)
    folder = fields.CharField(255)
    uidvalidity = fields.BigIntField()
    last_uid = fields.BigIntField(default=0)

    class Meta:
        table = "mailbox_folder_state"
        unique_together = (("mailbox", "folder", "uidvalidity"),)


class EmailMessage(TimestampedModel):
    mailbox = fk("Mailbox", "messages", null=True)
    folder = fields.CharField(255, default="")
    uid = fields.BigIntField(null=True)
    message_id = fields.CharField(998, null=True, db_index=True)
    raw_sha256 = fields.CharField(64, db_index=True)
    in_reply_to = fields.TextField(default="")
    references = fields.TextField(default="")
    from_address = fields.CharField(320, default="", db_index=True)
    from_name = fields.CharField(300, default="")
    to_addresses = fields.JSONField(default=list)
    cc_addresses = fields.JSONField(default=list)
    subject = fields.TextField(default="")
    sent_at = fields.DatetimeField(null=True)
    received_at = fields.DatetimeField()
    text_body = fields.TextField(default="")
    headers = fields.JSONField(default=dict)
    raw_file = fk("StoredFile", "raw_emails", null=True)
    state = fields.CharEnumField(EmailState, max_length=16, default=EmailState.UNSORTED)
    state_reason = fields.TextField(default="")
    is_bounce = fields.BooleanField(default=False)
    is_auto_reply = fields.BooleanField(default=False)
    deal = fk("Deal", "emails", null=True)
    partner = fk("Partner", "emails", null=True)
    contact = fk("ContactPerson", "emails", null=True)
    outgoing = fields.BooleanField(default=False)

    class Meta:
        table = "email_message"
        indexes = (("from_address", "received_at"), ("state", "received_at"))
