"""Name pools: Chinese personal names and the words organisations in Hunan are named with.

Surname weights follow their rough frequency in Hunan (刘, 李, 陈, 王, 张 lead; 谭, 彭, 邓, 曾 are
commoner there than nationally), so a list of a thousand physicians reads like a real roster.
"""

from __future__ import annotations

import random

from api.demo.pools import CHANGSHA_ROADS, Region, RegionKind, place_stem

_SURNAMES = (
    ("刘", 75), ("李", 70), ("陈", 62), ("王", 60), ("张", 55), ("周", 38), ("罗", 34),
    ("彭", 32), ("唐", 30), ("邓", 30), ("谭", 28), ("曾", 28), ("胡", 27), ("黄", 26),
    ("杨", 26), ("吴", 22), ("赵", 18), ("肖", 18), ("朱", 17), ("欧阳", 6), ("蒋", 15),
    ("贺", 14), ("龙", 13), ("何", 13), ("袁", 12), ("文", 12), ("易", 12), ("向", 11),
    ("廖", 11), ("谢", 11), ("邹", 10), ("许", 10), ("徐", 10), ("郭", 9), ("雷", 9),
    ("颜", 8), ("田", 8), ("戴", 8), ("夏", 8), ("石", 8), ("宋", 7), ("孙", 7), ("马", 6),
    ("万", 6), ("钟", 6), ("卢", 6), ("粟", 4), ("符", 4), ("瞿", 3), ("伍", 5), ("段", 5),
    ("喻", 4), ("皮", 2), ("司马", 1), ("诸葛", 1),
)  # fmt: skip
SURNAMES = tuple(name for name, _ in _SURNAMES)
SURNAME_WEIGHTS = tuple(weight for _, weight in _SURNAMES)

MALE_GIVEN = tuple(
    "伟强磊军勇杰涛斌超明辉刚平鹏华飞峰波宇浩俊志文建国林海东晨凯鑫亮健毅龙彬博宏翔坤然哲睿"
    "轩泽子嘉正湘德永春松柏立新胜武兵"
)
FEMALE_GIVEN = tuple(
    "芳娜敏静丽艳娟霞燕玲婷雪慧莉萍红琴颖倩洁琳晶欣怡佳雨梦诗涵悦瑶璐丹蓉岚薇媛菲婉思湘秀兰"
    "英凤梅桂芬"
)

# Words a private hospital, clinic, pharmacy or company might take as its trade name (字号).
TRADE_NAMES = (
    "康华",
    "仁和",
    "博爱",
    "华康",
    "明康",
    "瑞康",
    "恒康",
    "德康",
    "泰和",
    "安康",
    "济民",
    "南华",
    "惠民",
    "同德",
    "永康",
    "佳和",
    "益康",
    "福瑞",
    "天和",
    "协力",
    "弘德",
    "润泽",
)
HOSPITAL_SPECIALTIES = (
    "骨科",
    "眼科",
    "妇产",
    "肛肠",
    "口腔",
    "康复",
    "肿瘤",
    "耳鼻喉",
    "皮肤病",
    "中西医结合",
)
# Pharmacy chains headquartered in Hunan, with rough shares of the province's chain stores.
PHARMACY_CHAINS = (
    ("老百姓大药房", 32),
    ("益丰大药房", 28),
    ("养天和大药房", 16),
    ("千金大药房", 8),
)
INDEPENDENT_PHARMACY_WORDS = ("仁和堂", "济生堂", "百草堂", "康寿堂", "益寿堂", "德仁堂", "福寿堂")
INDUSTRIES = ("建设工程", "机械制造", "电子科技", "食品", "物流", "纺织", "农业开发", "物业管理")
# Industries a county is known for; a company there reads more real with them.
LOCAL_INDUSTRIES = {"430181": "烟花制造", "430281": "陶瓷", "430182": "食品", "430381": "皮革"}


def person_name(rng: random.Random, female: bool) -> str:
    """A surname and a one- or two-character given name (about two in three have two)."""
    surname = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
    pool = FEMALE_GIVEN if female else MALE_GIVEN
    length = 2 if rng.random() < 0.68 else 1
    return surname + "".join(rng.choice(pool) for _ in range(length))


def pharmacy_branch(rng: random.Random, region: Region) -> str:
    """The branch a chain store is named after: a Changsha main road or the store's street."""
    downtown = region.city.code == "430100" and region.kind is RegionKind.URBAN_DISTRICT
    if downtown and rng.random() < 0.5:
        return rng.choice(CHANGSHA_ROADS)
    return place_stem(rng.choice(region.places))


def pharmacy_name(rng: random.Random, region: Region) -> str:
    """ "老百姓大药房（芙蓉中路店）" for a chain store, "湘潭济生堂大药房" for an independent."""
    chains = [name for name, _ in PHARMACY_CHAINS]
    weights = [weight for _, weight in PHARMACY_CHAINS]
    if rng.random() < 0.84:
        chain = rng.choices(chains, weights)[0]
        return f"{chain}（{pharmacy_branch(rng, region)}店）"
    word = rng.choice(INDEPENDENT_PHARMACY_WORDS)
    where = region.name if region.kind is RegionKind.COUNTY else region.city.short
    return f"{where}{place_stem(rng.choice(region.places))}{word}大药房"


def company_name(rng: random.Random, region: Region) -> str:
    industry = LOCAL_INDUSTRIES.get(region.code) or rng.choice(INDUSTRIES)
    where = region.name if region.code in LOCAL_INDUSTRIES else region.city.short
    return f"{where}{rng.choice(TRADE_NAMES)}{industry}有限公司"
