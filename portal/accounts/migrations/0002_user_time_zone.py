from django.db import migrations, models

import portal.accounts.models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="time_zone",
            field=models.CharField(
                blank=True,
                default="",
                help_text="An IANA name such as Europe/Paris; blank for the site's default.",
                max_length=64,
                validators=[portal.accounts.models.validate_time_zone],
                verbose_name="time zone",
            ),
        ),
    ]
