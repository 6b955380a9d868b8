"""Fixed word lists for the demo: people, enterprises, addresses, departments and teams."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")

# Common surnames in Henan, roughly by frequency (the weights below favour the first ones).
SURNAMES = (
    "王李张刘陈杨赵郭马孙朱胡高宋吕徐何周许韩郑梁程冯田董付曹袁任魏崔杜贾谢岳姚苏"
    "范薛路闫段孟邢侯牛秦贺黄吴于史常邵葛石焦翟聂方尚申袁"
)
# Given-name characters; a given name is one or two of them.
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭东亮林建国志新海峰振红卫民"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞燕玲婷雪慧琳颖倩佳梅莉萍红玉洁晶瑶蕾欣璐菲丹月"

# Characters for enterprise trade names (字号).
TRADE_CHARS = "鑫恒盛华源泰瑞丰达通宏远祥和嘉信隆昌兴利金诚佳德顺海天正新宇博中汇永豫洧康晟润凯森荣茂福创科益众鼎富"
NAME_PREFIXES = (("尉氏县", 5), ("河南", 4), ("开封", 2), ("河南省", 1))

# (word in the name, GB/T 4754 section, industry chain or None)
INDUSTRY_WORDS: dict[str, list[tuple[str, str | None]]] = {
    "C": [
        ("纺织", "纺织服装"),
        ("服饰", "纺织服装"),
        ("棉业", "纺织服装"),
        ("制衣", "纺织服装"),
        ("食品", "食品加工"),
        ("面业", "食品加工"),
        ("食品科技", "食品加工"),
        ("肉制品", "食品加工"),
        ("机械", "装备制造"),
        ("机械制造", "装备制造"),
        ("重工", "装备制造"),
        ("汽车配件", "装备制造"),
        ("阀门", "装备制造"),
        ("新材料", "新材料"),
        ("耐火材料", "新材料"),
        ("复合材料", "新材料"),
        ("电子", "电子信息"),
        ("电子科技", "电子信息"),
        ("光电", "电子信息"),
        ("生物科技", "生物医药"),
        ("药业", "生物医药"),
        ("医疗器械", "生物医药"),
        ("饲料", "生猪养殖"),
        ("建材", None),
        ("塑业", None),
        ("包装", None),
        ("家具", None),
        ("彩印", None),
        ("化工", None),
        ("钢结构", None),
    ],
    "A": [("农牧", "生猪养殖"), ("养殖", "生猪养殖"), ("牧业", "生猪养殖"), ("生态农业", None), ("种植", None)],
    "B": [("矿业", None)],
    "D": [("热电", None), ("新能源", None), ("燃气", None)],
    "E": [("建设工程", None), ("建筑安装", None), ("路桥工程", None)],
    "F": [("商贸", None), ("贸易", None), ("农资", None), ("医药连锁", "生物医药")],
    "G": [("物流", "现代物流"), ("运输", "现代物流"), ("仓储", "现代物流"), ("冷链物流", "现代物流")],
    "H": [("餐饮管理", None), ("酒店管理", None)],
    "I": [("网络科技", "电子信息"), ("信息技术", "电子信息"), ("软件", "电子信息")],
    "K": [("置业", None), ("房地产开发", None)],
    "L": [("企业管理咨询", None), ("人力资源", None)],
    "M": [("检测技术", None), ("工程技术", None)],
}
# Section weights: above-scale industrial enterprises, and all others.
ABOVE_SCALE_SECTIONS = (("C", 94), ("D", 4), ("B", 2))
OTHER_SECTIONS = (
    ("C", 42),
    ("A", 14),
    ("F", 12),
    ("G", 8),
    ("E", 7),
    ("H", 5),
    ("I", 4),
    ("K", 2),
    ("L", 3),
    ("M", 3),
)
CHAINS = ("纺织服装", "食品加工", "装备制造", "新材料", "生猪养殖", "现代物流", "电子信息", "生物医药")

ROADS = (
    "建设路",
    "人民路",
    "新华路",
    "迎宾大道",
    "工业大道",
    "创业路",
    "兴业路",
    "文化路",
    "振兴路",
    "产业集聚区纬一路",
    "产业集聚区经三路",
    "开港大道",
    "商都路",
    "府前街",
)
VILLAGE_SUFFIXES = ("庄村", "寨村", "岗村", "楼村", "营村", "桥村", "店村")
VILLAGE_PREFIXES = ("前", "后", "东", "西", "南", "北", "大", "小", "")

DEPARTMENTS = (
    "县发改委",
    "县工信局",
    "县财政局",
    "县人社局",
    "县自然资源局",
    "县生态环境局",
    "县商务局",
    "县农业农村局",
    "县科技局",
    "县税务局",
    "县市场监管局",
    "县住建局",
    "县交通运输局",
    "县供电公司",
    "县金融工作局",
    "县委宣传部",
    "县乡村振兴局",
    "县应急管理局",
)


def weighted(rng: random.Random, pairs: Iterable[tuple[T, float]]) -> T:
    """One value from ``(value, weight)`` pairs."""
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def person_name(rng: random.Random) -> str:
    surname = rng.choice(SURNAMES[:20]) if rng.random() < 0.7 else rng.choice(SURNAMES)
    chars = GIVEN_MALE if rng.random() < 0.6 else GIVEN_FEMALE
    n = 2 if rng.random() < 0.72 else 1
    return surname + "".join(rng.sample(chars, n))


def mobile_phone(rng: random.Random) -> str:
    prefix = rng.choice(("13", "15", "18", "17", "19", "14", "16"))
    return prefix + rng.choice("0123456789") + "".join(rng.choice("0123456789") for _ in range(8))


def village(rng: random.Random) -> str:
    return rng.choice(VILLAGE_PREFIXES) + rng.choice(SURNAMES[:30]) + rng.choice(VILLAGE_SUFFIXES)


def address(rng: random.Random, township_name: str) -> str:
    number = rng.randint(1, 299)
    if rng.random() < 0.55:
        return f"{township_name}{rng.choice(ROADS)}{number}号"
    return f"{township_name}{village(rng)}{number}号"
