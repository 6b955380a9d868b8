"""A random token naming this database: the answers server processes share through Redis are keyed by it
(yimi.graphql.shared_answers), so that two deployments left on one Redis never serve each other's answers,
whatever their URLs. ``yimi restore`` draws a new one: a restored database can bring old data version
numbers back."""

import secrets

from tortoise import migrations
from tortoise.migrations import operations as ops


async def forward(apps, schema_editor) -> None:
    client = schema_editor.client
    await client.execute_script(
        "CREATE TABLE deployment_identity (id INT NOT NULL PRIMARY KEY CHECK (id = 1), token VARCHAR(32) NOT NULL)"
    )
    await client.execute_script(f"INSERT INTO deployment_identity (id, token) VALUES (1, '{secrets.token_hex(16)}')")


async def backward(apps, schema_editor) -> None:
    await schema_editor.client.execute_script("DROP TABLE deployment_identity")


class Migration(migrations.Migration):
    dependencies = [("yimi", "0015_enterprise_change")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
