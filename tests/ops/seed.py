"""A small migrated database for tests that run real servers: one township, one enterprise, a
dispatcher with a password and a partner token. Run as ``python -m tests.ops.seed PASSWORD`` with
``YIMI_DATABASE_URL`` set (SQLite or PostgreSQL); prints a JSON object with what a test needs."""

from __future__ import annotations

import asyncio
import json
import sys

from yimi import db


async def seed(password: str) -> dict:
    from yimi.accounts.models import Department, Staff
    from yimi.accounts.service import set_password
    from yimi.accounts.tokens import create_token
    from yimi.enterprises.models import Enterprise
    from yimi.townships.models import Township

    await db.migrate()
    await db.init_db()
    try:
        township = await Township.create(
            code="410223101", name="张市镇", kind="town", county_code="410223", county_name="尉氏县",
            seat_lon=114.2, seat_lat=34.4,
        )  # fmt: skip
        department = await Department.create(name="县营商环境服务中心")
        staff = await Staff.create(username="dispatcher", name="派单员", department=department, roles=["dispatcher"])
        await set_password(staff, password)
        enterprise = await Enterprise.create(
            name="测试纺织有限公司", uscc="91410223MA00000001", industry="C", size="small", township=township,
            lon=114.2, lat=34.4,
        )  # fmt: skip
        _, secret = await create_token("工行开封普惠金融部", ["enterprises:read", "issues:read"])
        return {"enterprise": enterprise.id, "dispatcher": staff.username, "token": secret}
    finally:
        await db.close_db()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(seed(sys.argv[1]))))
