"""Word pools: names, places, roads, company words, homophones and traditional forms.

Faker (zh_CN, seeded) contributes surname weights and given names; everything else is a
fixed list, so the pools are identical for every run and every Faker release we pin.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from faker.providers.person.zh_CN import Provider as _PersonProvider

# District table: code, name, seed lon/lat (near the real seat), population share, urban?
DISTRICTS: list[tuple[str, str, float, float, float, bool]] = [
    ("370202", "市南区", 120.385, 36.070, 0.06, True),
    ("370203", "市北区", 120.372, 36.112, 0.11, True),
    ("370211", "黄岛区", 120.080, 35.930, 0.17, False),
    ("370212", "崂山区", 120.600, 36.180, 0.05, True),
    ("370213", "李沧区", 120.435, 36.165, 0.07, True),
    ("370214", "城阳区", 120.390, 36.300, 0.10, False),
    ("370215", "即墨区", 120.500, 36.450, 0.12, False),
    ("370281", "胶州市", 119.970, 36.270, 0.09, False),
    ("370283", "平度市", 119.930, 36.780, 0.13, False),
    ("370285", "莱西市", 120.520, 36.860, 0.08, False),
]

# Birthplace codes: (code, name, valid_from_year, valid_to_year). Retired codes appear only
# for people born while they were valid: 四方区 and 胶南市 merged in 2012, 即墨市 became a
# district in 2017.
RETIRED_LOCAL: dict[str, tuple[str, str, int, int]] = {
    "370203": ("370205", "四方区", 1949, 2011),
    "370211": ("370284", "胶南市", 1990, 2011),
    "370215": ("370282", "即墨市", 1989, 2016),
}
SHANDONG_CODES = ["370102", "370103", "370202", "370602", "370612", "370702", "370705",
                  "370782", "371002", "371082", "371302", "371311", "370811", "370902",
                  "371102", "371202", "370303", "370402", "371402", "371502", "371602"]
OTHER_CODES = ["110105", "110108", "120101", "130102", "140105", "210102", "210202",
               "220102", "230103", "310115", "320106", "320505", "330106", "340104",
               "350203", "360102", "410105", "420106", "430104", "440106", "440305",
               "450103", "500103", "510107", "610113", "620102", "650102"]

MALE_CHARS = list("伟强磊军洋勇杰涛超明刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国志文海东")
FEMALE_CHARS = list("芳娜敏静丽艳娟霞玲桂英秀兰燕萍红琳婷雪慧颖欣怡佳涵萱雨婧倩洁丹梅莉晶月")

# Near-homophones a clerk types by pinyin input (同音字).
HOMOPHONES: dict[str, str] = {
    "王": "汪", "张": "章", "刘": "柳", "陈": "程", "杨": "阳", "黄": "皇", "赵": "肇",
    "周": "州", "吴": "武", "徐": "许", "孙": "荪", "朱": "诸", "胡": "湖", "郭": "国",
    "林": "琳", "于": "余", "高": "皋", "马": "玛", "何": "和", "罗": "萝", "梁": "良",
    "宋": "送", "郑": "正", "谢": "解", "韩": "寒", "唐": "汤", "冯": "封", "董": "懂",
    "萧": "肖", "程": "成", "曹": "草", "袁": "元", "邓": "登", "许": "徐", "傅": "付",
    "沈": "审", "曾": "增", "彭": "朋", "吕": "侣", "苏": "素", "卢": "芦", "蒋": "江",
    "蔡": "菜", "贾": "假", "丁": "盯", "魏": "卫", "薛": "雪", "叶": "页", "阎": "严",
    "李": "理", "伟": "玮", "丽": "莉", "静": "婧", "明": "鸣", "华": "骅", "军": "君",
    "涛": "韬", "峰": "锋", "刚": "钢", "芳": "方", "敏": "民", "婷": "亭", "斌": "彬",
    "娜": "纳", "磊": "垒", "洋": "扬", "勇": "永", "超": "潮", "鹏": "朋", "辉": "晖",
    "强": "墙", "杰": "捷", "波": "博", "宇": "雨", "浩": "皓", "凯": "恺", "健": "建",
    "俊": "骏", "红": "虹", "玲": "铃", "霞": "侠", "燕": "雁", "萍": "平", "雪": "薛",
    "颖": "影", "欣": "鑫", "怡": "宜", "佳": "嘉", "梅": "玫", "晶": "精", "月": "悦",
}

TRADITIONAL: dict[str, str] = dict(zip(
    "张刘陈杨黄赵吴孙马罗郑谢许韩冯邓叶苏吕卢蒋钟谭陆贾韦邹闫龙贺顾龚万钱严汤伟丽华军国红东"
    "强刚涛辉鹏杰静艳凤兰庆飞宝义爱贵荣连云广长进胜乐宁凯丰颖欢晓梦轩泽硕锋钢铭鸣晖韬玮莉"
    "骅龙鑫帅帆欣怡佳涵萱婧倩洁丹燕晶俊健斌娟霞玲秀英红凤丽兰",
    "張劉陳楊黃趙吳孫馬羅鄭謝許韓馮鄧葉蘇呂盧蔣鍾譚陸賈韋鄒閆龍賀顧龔萬錢嚴湯偉麗華軍國紅東"
    "強剛濤輝鵬傑靜艷鳳蘭慶飛寶義愛貴榮連雲廣長進勝樂寧凱豐穎歡曉夢軒澤碩鋒鋼銘鳴暉韜瑋莉"
    "驊龍鑫帥帆欣怡佳涵萱婧倩潔丹燕晶俊健斌娟霞玲秀英紅鳳麗蘭",
    strict=True,
))

PLACE_WORDS = (
    "金湖 八大关 香港 湛山 中山 江苏 云南 珠海 台东 辽宁 登州 宁夏 敦化 浮山 兴隆 海伦 河西 李村"
    " 虎山 九水 沙子口 王哥庄 北宅 中韩 流亭 夏庄 惜福 棘洪滩 上马 河套 红岛 通济 环秀 潮海 北安"
    " 龙山 龙泉 蓝村 鳌山卫 温泉 田横 金口 段泊岚 移风店 大信 灵山卫 薛家岛 辛安 红石崖 王台 六汪"
    " 宝山 铁山 隐珠 胶北 胶西 胶莱 李哥庄 铺集 里岔 洋河 九龙 中云 三里河 阜安 南村 蓼兰 崔家集"
    " 明村 田庄 新河 店子 大泽山 旧店 云山 古岘 仁兆 同和 东阁 李园 凤山 白沙河 水集 望城 沽河"
    " 姜山 夏格庄 院上 日庄 南墅 河头店 店埠 马连庄 即发 琴岛 崂东 石老人 午山 麦岛 錦绣 松岭"
).split()
PLACE_HEAD = list("福安康和兴华海山泉林春阳明德祥瑞嘉文新东西南北金银宝永丰盛隆青翠朝")
PLACE_TAIL = list("苑园庭里居城湾岭坡庄港湖桥河苑台岛")
ROAD_STEMS = (
    "香港 山东 南京 福州 延安 辽阳 重庆 黑龙江 长江 深圳 宁夏 银川 东海 燕儿岛 云霄 南昌 镇江"
    " 台柳 哈尔滨 杭州 苏州 徐州 珠江 黄河 太行山 昆仑山 峨眉山 泰山 崂山 浮山 辽宁 吉林 四川"
    " 湖南 湖北 广西 贵州 株洲 松岭 合肥 武昌 汉口 大连 济南 郑州 西安 兰州 成都 青岛 威海"
    " 烟台 潍坊 淄博 临沂 菏泽 德州 滨州 聊城 枣庄 日照 泉州 厦门 宁波 温州 龙城 凤凰 海尔 金水"
).split()
ROAD_DIRS = ["", "中", "东", "西", "南", "北", "一", "二", "三"]
ROAD_TYPES = ["路", "路", "路", "街", "大道"]

COMPANY_WORDS = (
    "海晴 华通 鼎盛 瑞丰 恒达 信诚 永安 金海 蓝海 海润 泰和 德昌 宏远 鑫源 嘉禾 万通 天润 同创"
    " 新华 博远 海纳 汇丰 安泰 中联 东方 福瑞 盛世 启航 远洋 星河 海湾 润泽 明德 卓越 康泰 益民"
    " 百川 海晟 琴岛 崂峰 胶澳 银海 金桥 海岳 青松 翔宇 恒信 正元 利群 宏图 凯旋 和顺 海青 晨光"
).split()
# GB/T 4754 sections with the word a name uses and a weight.
INDUSTRIES: list[tuple[str, str, str, float]] = [
    ("A", "农业", "农业科技", 0.04), ("C", "制造业", "机械制造", 0.16),
    ("D", "电力热力", "能源", 0.01), ("E", "建筑业", "建筑工程", 0.07),
    ("F", "批发和零售业", "商贸", 0.30), ("G", "交通运输", "物流", 0.06),
    ("H", "住宿和餐饮业", "餐饮管理", 0.07), ("I", "信息技术", "信息技术", 0.08),
    ("K", "房地产业", "置业", 0.03), ("L", "租赁和商务服务业", "商务咨询", 0.10),
    ("M", "科学研究和技术服务业", "科技", 0.05), ("O", "居民服务", "家政服务", 0.03),
]
ORG_FORMS = [("有限公司", 0.78), ("股份有限公司", 0.04), ("有限责任公司", 0.12), ("合伙企业", 0.06)]
ETHNIC = [("汉族", 0.985), ("满族", 0.004), ("回族", 0.004), ("朝鲜族", 0.003), ("蒙古族", 0.002),
          ("壮族", 0.002)]
HOSPITALS = ["青岛市妇女儿童医院", "青岛大学附属医院", "青岛市市立医院", "青岛市中心医院",
             "黄岛区人民医院", "即墨区人民医院", "胶州市人民医院", "平度市人民医院",
             "莱西市人民医院"]
SCHOOLS_PRIMARY = ["实验小学", "第一小学", "第二小学", "中心小学", "路小学", "外国语小学"]
SCHOOLS_MIDDLE = ["第一中学", "第二中学", "实验初级中学", "第五十八中学", "第九中学",
                  "第二十六中学"]


@lru_cache(maxsize=1)
def surnames() -> tuple[np.ndarray, np.ndarray]:
    """Surnames and their probabilities (Faker's zh_CN frequency table, top 120)."""
    items = sorted(_PersonProvider.last_names.items(), key=lambda kv: (-kv[1], kv[0]))[:120]
    names = np.array([k for k, _ in items])
    w = np.array([v for _, v in items], dtype=np.float64)
    return names, w / w.sum()


@lru_cache(maxsize=2)
def given_names(male: bool) -> np.ndarray:
    """A pool of given names: Faker's list plus 1- and 2-character combinations."""
    base = list(_PersonProvider.first_names_male if male else _PersonProvider.first_names_female)
    chars = MALE_CHARS if male else FEMALE_CHARS
    pool = base + chars + [a + b for a in chars for b in chars if a != b]
    return np.array(sorted(dict.fromkeys(pool)))


def road_names() -> list[str]:
    """Every road name the generator may use, in a fixed order."""
    return [s + d + t for s in ROAD_STEMS for d in ROAD_DIRS for t in ROAD_TYPES
            if not (t == "大道" and d)]


def place_names() -> list[str]:
    """Place words for streets and communities, in a fixed order."""
    return PLACE_WORDS + [a + b for a in PLACE_HEAD for b in PLACE_TAIL]
