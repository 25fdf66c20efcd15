"""Real data pools for the demo province: Hunan's GB/T 2260 regions, their streets and towns.

Only division codes known to be real are used, so a demo subject's region (and the region embedded
in its USCC, resident ID and NHSA code) is one an officer in Hunan would recognise. The street and
town names are the divisions' own 街道/镇/乡; a name in a pool need not be current to look right.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

PROVINCE_CODE = "430000"
PROVINCE_NAME = "湖南省"


class RegionKind(StrEnum):
    URBAN_DISTRICT = "urban_district"  # 市辖区: community health service centres
    COUNTY = "county"  # 县 / 县级市: a county hospital and township health centres


@dataclass(frozen=True, slots=True)
class City:
    code: str
    name: str
    short: str  # as in "长沙康华骨科医院" or "株洲千金大药房"
    former: str = ""  # an earlier name, for resident IDs issued before the city was renamed


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    city: City
    kind: RegionKind
    weight: int  # relative population: where institutions, staff and insured persons cluster
    places: tuple[str, ...]  # 街道 / 镇 / 乡, suffix included

    @property
    def is_city_seat(self) -> bool:
        """The first district listed for a city hosts its city-level hospitals."""
        return self.code == CITY_SEATS[self.city.code]


CHANGSHA = City("430100", "长沙市", "长沙")
ZHUZHOU = City("430200", "株洲市", "株洲")
XIANGTAN = City("430300", "湘潭市", "湘潭")
HENGYANG = City("430400", "衡阳市", "衡阳")
YUEYANG = City("430600", "岳阳市", "岳阳")
CHANGDE = City("430700", "常德市", "常德")
ZHANGJIAJIE = City("430800", "张家界市", "张家界", former="大庸")
YIYANG = City("430900", "益阳市", "益阳")
CHENZHOU = City("431000", "郴州市", "郴州")
YONGZHOU = City("431100", "永州市", "永州")
HUAIHUA = City("431200", "怀化市", "怀化")
LOUDI = City("431300", "娄底市", "娄底")
XIANGXI = City("433100", "湘西土家族苗族自治州", "湘西")

CITIES = (
    CHANGSHA, ZHUZHOU, XIANGTAN, HENGYANG, YUEYANG, CHANGDE, ZHANGJIAJIE,
    YIYANG, CHENZHOU, YONGZHOU, HUAIHUA, LOUDI, XIANGXI,
)  # fmt: skip

_U, _C = RegionKind.URBAN_DISTRICT, RegionKind.COUNTY


def _places(text: str) -> tuple[str, ...]:
    return tuple(text.split())


REGIONS = (
    Region("430102", "芙蓉区", CHANGSHA, _U, 9, _places(
        "定王台街道 文艺路街道 韭菜园街道 五里牌街道 火星街道 马王堆街道 东湖街道 东岸街道 湘湖街道"
    )),
    Region("430103", "天心区", CHANGSHA, _U, 9, _places(
        "坡子街街道 城南路街道 裕南街街道 金盆岭街道 新开铺街道 青园街道 桂花坪街道 赤岭路街道 "
        "先锋街道 南托街道 大托铺街道 暮云街道"
    )),
    Region("430104", "岳麓区", CHANGSHA, _U, 11, _places(
        "望月湖街道 岳麓街道 橘子洲街道 银盆岭街道 观沙岭街道 望城坡街道 西湖街道 咸嘉湖街道 "
        "望岳街道 梅溪湖街道 麓谷街道 坪塘街道 含浦街道 洋湖街道 学士街道"
    )),
    Region("430105", "开福区", CHANGSHA, _U, 9, _places(
        "东风路街道 湘雅路街道 望麓园街道 清水塘街道 新河街道 通泰街街道 芙蓉北路街道 伍家岭街道 "
        "四方坪街道 洪山街道 月湖街道 捞刀河街道 秀峰街道 青竹湖街道"
    )),
    Region("430111", "雨花区", CHANGSHA, _U, 11, _places(
        "侯家塘街道 左家塘街道 圭塘街道 砂子塘街道 东塘街道 雨花亭街道 高桥街道 洞井街道 "
        "黎托街道 井湾子街道 东山街道 同升街道"
    )),
    Region("430112", "望城区", CHANGSHA, _U, 7, _places(
        "高塘岭街道 月亮岛街道 丁字湾街道 白沙洲街道 大泽湖街道 乌山街道 黄金园街道 "
        "金山桥街道 铜官街道 茶亭镇 靖港镇 乔口镇"
    )),
    Region("430121", "长沙县", CHANGSHA, _C, 9, _places(
        "星沙街道 泉塘街道 湘龙街道 榔梨街道 黄花镇 春华镇 果园镇 路口镇 安沙镇 北山镇 福临镇 "
        "青山铺镇 开慧镇 金井镇 高桥镇 江背镇"
    )),
    Region("430181", "浏阳市", CHANGSHA, _C, 9, _places(
        "淮川街道 集里街道 荷花街道 关口街道 大瑶镇 永安镇 官渡镇 社港镇 沙市镇 文家市镇 金刚镇 "
        "镇头镇 古港镇 达浒镇 北盛镇 洞阳镇 柏加镇 澄潭江镇"
    )),
    Region("430182", "宁乡市", CHANGSHA, _C, 9, _places(
        "玉潭街道 白马桥街道 城郊街道 历经铺街道 夏铎铺镇 花明楼镇 灰汤镇 道林镇 双江口镇 "
        "煤炭坝镇 大成桥镇 回龙铺镇 金洲镇 沩山乡 流沙河镇 老粮仓镇"
    )),
    Region("430202", "荷塘区", ZHUZHOU, _U, 4, _places(
        "月塘街道 茨菇塘街道 宋家桥街道 金山街道 桂花街道 明照街道 仙庾镇"
    )),
    Region("430203", "芦淞区", ZHUZHOU, _U, 4, _places(
        "建宁街道 贺家土街道 建设街道 庆云街道 枫溪街道 龙泉街道 白关镇"
    )),
    Region("430204", "石峰区", ZHUZHOU, _U, 3, _places(
        "响石岭街道 清水塘街道 铜塘湾街道 田心街道 井墈街道 龙头铺街道"
    )),
    Region("430211", "天元区", ZHUZHOU, _U, 4, _places(
        "嵩山路街道 泰山路街道 栗雨街道 马家河街道 群丰镇 雷打石镇 三门镇"
    )),
    Region("430281", "醴陵市", ZHUZHOU, _C, 5, _places(
        "来龙门街道 阳三石街道 仙岳山街道 国瓷街道 浦口镇 白兔潭镇 王仙镇 东富镇 孙家湾镇 泗汾镇"
    )),
    Region("430302", "雨湖区", XIANGTAN, _U, 4, _places(
        "城正街街道 雨湖路街道 云塘街道 广场街道 窑湾街道 昭潭街道 楠竹山镇 姜畲镇 长城乡"
    )),
    Region("430304", "岳塘区", XIANGTAN, _U, 4, _places(
        "书院路街道 建设路街道 五里堆街道 下摄司街道 宝塔街道 霞城街道 东坪街道 岳塘街道"
    )),
    Region("430381", "湘乡市", XIANGTAN, _C, 5, _places(
        "望春门街道 新湘路街道 昆仑桥街道 东山街道 棋梓镇 壶天镇 月山镇 毛田镇 白田镇 龙洞镇 "
        "虞唐镇 泉塘镇 潭市镇"
    )),
    Region("430405", "珠晖区", HENGYANG, _U, 3, _places(
        "东风路街道 广东路街道 冶金街道 苗圃街道 粤汉街道 东阳渡街道 茶山坳镇 和平乡 酃湖乡"
    )),
    Region("430406", "雁峰区", HENGYANG, _U, 3, _places(
        "天马山街道 先锋街道 白沙洲街道 雁峰街道 湘江街道 黄茶岭街道 岳屏镇"
    )),
    Region("430407", "石鼓区", HENGYANG, _U, 3, _places(
        "人民路街道 青山街道 潇湘街道 五一街道 黄沙湾街道 合江套街道 角山街道"
    )),
    Region("430408", "蒸湘区", HENGYANG, _U, 3, _places(
        "红湘街道 联合街道 蒸湘街道 呆鹰岭镇 雨母山镇"
    )),
    Region("430602", "岳阳楼区", YUEYANG, _U, 6, _places(
        "岳阳楼街道 三眼桥街道 望岳路街道 城陵矶街道 奇家岭街道 吕仙亭街道 金鹗山街道 东茅岭街道 "
        "五里牌街道 洞庭街道 枫桥湖街道 站前路街道"
    )),
    Region("430702", "武陵区", CHANGDE, _U, 5, _places(
        "府坪街道 穿紫河街道 启明街道 南坪街道 丹阳街道 长庚街道 芷兰街道 白马湖街道 永安街道 "
        "河洑镇"
    )),
    Region("430802", "永定区", ZHANGJIAJIE, _U, 3, _places(
        "大庸桥街道 南庄坪街道 崇文街道 永定街道 西溪坪街道 官黎坪街道 阳湖坪街道 沅古坪镇 茅岩河镇"
    )),
    Region("430902", "资阳区", YIYANG, _U, 3, _places(
        "大码头街道 汽车路街道 长春镇 新桥河镇 张家塞乡 茈湖口镇 迎风桥镇"
    )),
    Region("431002", "北湖区", CHENZHOU, _U, 4, _places(
        "人民路街道 北湖街道 燕泉街道 郴江街道 安和街道 下湄桥街道 骆仙街道 华塘镇 鲁塘镇 保和镇"
    )),
    Region("431102", "零陵区", YONGZHOU, _U, 4, _places(
        "南津渡街道 七里店街道 徐家井街道 朝阳街道 水口山镇 接履桥镇 邮亭圩镇 石岩头镇 富家桥镇 "
        "菱角塘镇 珠山镇 黄田铺镇"
    )),
    Region("431202", "鹤城区", HUAIHUA, _U, 4, _places(
        "城中街道 城北街道 红星路街道 迎丰街道 坨院街道 鹤鸣洲街道 城南街道 黄金坳镇"
    )),
    Region("431302", "娄星区", LOUDI, _U, 4, _places(
        "乐坪街道 花山街道 长青街道 大科街道 黄泥塘街道 涟滨街道 大埠桥街道 杉山镇 万宝镇 石井镇 "
        "双江乡"
    )),
    Region("433101", "吉首市", XIANGXI, _C, 3, _places(
        "峒河街道 乾州街道 石家冲街道 镇溪街道 矮寨镇 马颈坳镇 河溪镇 丹青镇 太平镇 己略乡"
    )),
)  # fmt: skip

CITY_SEATS = {
    CHANGSHA.code: "430102", ZHUZHOU.code: "430202", XIANGTAN.code: "430302",
    HENGYANG.code: "430407", YUEYANG.code: "430602", CHANGDE.code: "430702",
    ZHANGJIAJIE.code: "430802", YIYANG.code: "430902", CHENZHOU.code: "431002",
    YONGZHOU.code: "431102", HUAIHUA.code: "431202", LOUDI.code: "431302", XIANGXI.code: "433101",
}  # fmt: skip

REGION_CODES = frozenset(region.code for region in REGIONS)
# Codes that may be embedded in a USCC: city-level bodies register with their city's code.
REGISTRATION_CODES = REGION_CODES | {city.code for city in CITIES} | {PROVINCE_CODE}

# Main roads of Changsha for pharmacy branch names; elsewhere a branch takes its street's name.
CHANGSHA_ROADS = _places(
    "芙蓉中路 五一大道 解放西路 黄兴南路 韶山北路 劳动西路 人民中路 八一路 万家丽路 湘江中路 "
    "麓山南路 桐梓坡路 金星北路 车站北路 曙光北路 芙蓉南路 星沙大道 东二环 湘府路 枫林三路"
)


def place_stem(place: str) -> str:
    """ "望月湖街道" → "望月湖": how a place reads inside a facility or branch name."""
    for suffix in ("街道", "镇", "乡"):
        if place.endswith(suffix) and len(place) > len(suffix) + 1:
            return place.removesuffix(suffix)
    return place


def is_township(place: str) -> bool:
    return place.endswith(("镇", "乡"))
