# The data protection officer's breach log.

import awda.common.fields
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('audit', '0005_case_actions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Breach',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('discovered_at', models.DateTimeField(verbose_name='found on')),
                ('occurred_on', models.DateField(blank=True, null=True, verbose_name='happened on')),
                ('description', awda.common.fields.EncryptedTextField(verbose_name='what happened')),
                ('data_categories', models.JSONField(default=list, verbose_name='data concerned')),
                ('people_categories', models.JSONField(default=list, verbose_name='people concerned')),
                ('people_affected', models.PositiveIntegerField(verbose_name='estimated number of people affected')),
                ('containment', awda.common.fields.EncryptedTextField(blank=True, verbose_name='containment actions')),
                ('authority_notified_on', models.DateField(blank=True, null=True, verbose_name='supervisory authority notified on')),
                ('people_notified_on', models.DateField(blank=True, null=True, verbose_name='people affected notified on')),
                ('status', models.CharField(choices=[('open', 'Open'), ('contained', 'Contained'), ('closed', 'Closed')], default='open', max_length=10, verbose_name='status')),
                ('version', models.PositiveIntegerField(default=1)),
                ('recorded_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.organisation')),
                ('recorded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('updated_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'data breach',
                'verbose_name_plural': 'data breaches',
                'ordering': ['-discovered_at', '-id'],
            },
        ),
    ]
