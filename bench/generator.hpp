// Deterministic synthetic equipment catalog for the benchmarks (the lists issue's demo-data
// generator was not available when this was written). Lines mix Chinese and English family
// names, brands, model numbers, adjectives and a long tail of CJK/Latin description words, with
// CPV classes, regions, prices, lead times and attributes, so that postings have realistic
// skew (a few very common terms, a long tail) and filters do real work.
#pragma once

#include "matcher/domain.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace renewmatch::bench {

struct Family {
    const char* zh;
    const char* en;
    const char* cpv;
};

inline const std::vector<Family>& Families() {
    static const std::vector<Family> kFamilies = {
        {"立式加工中心", "vertical machining center", "42621100-6"},
        {"数控车床", "CNC lathe", "42621100-6"},
        {"卧式加工中心", "horizontal machining center", "42621100-6"},
        {"龙门加工中心", "gantry machining center", "42621100-6"},
        {"螺杆空压机", "screw air compressor", "42123400-1"},
        {"离心水泵", "centrifugal pump", "42122130-0"},
        {"电动叉车", "electric forklift", "42415110-3"},
        {"工业机器人", "industrial robot", "42997300-4"},
        {"注塑机", "injection molding machine", "42943200-0"},
        {"激光切割机", "laser cutting machine", "42636000-9"},
        {"折弯机", "press brake", "42636100-0"},
        {"变频空调", "inverter air conditioner", "39717200-3"},
        {"燃气锅炉", "gas boiler", "44621220-7"},
        {"冷却塔", "cooling tower", "42512000-1"},
        {"变压器", "power transformer", "31170000-8"},
        {"配电柜", "switchgear cabinet", "31214000-9"},
        {"伺服电机", "servo motor", "31110000-0"},
        {"减速机", "gear reducer", "42141000-9"},
        {"三坐标测量机", "coordinate measuring machine", "38540000-2"},
        {"光谱仪", "spectrometer", "38433000-9"},
        {"动力电池包", "battery pack", "31440000-2"},
        {"充电桩", "EV charger", "31682000-0"},
        {"贴片机", "SMT placement machine", "42990000-2"},
        {"回流焊", "reflow oven", "42990000-2"},
        {"电梯", "elevator", "42416100-6"},
        {"桥式起重机", "overhead crane", "42414100-2"},
        {"污水处理设备", "wastewater treatment unit", "42996000-9"},
        {"工业除尘器", "industrial dust collector", "42514310-8"},
        {"数控磨床", "CNC grinder", "42632000-8"},
        {"电火花机", "EDM machine", "42637000-3"},
    };
    return kFamilies;
}

inline const std::vector<std::string>& Brands() {
    static const std::vector<std::string> kBrands = {
        "海天",     "大族",      "沈阳机床",   "格力",    "美的",   "汇川",
        "埃斯顿",   "新松",      "杭叉",       "合力",    "FANUC",  "Siemens",
        "ABB",      "KUKA",      "DMG MORI",   "Mazak",   "Haas",   "Atlas Copco",
        "Grundfos", "Schneider", "Mitsubishi", "Yaskawa", "Bosch",  "Trumpf",
        "Amada",    "宁德时代",  "比亚迪",     "正泰",    "德力西", "徐工"};
    return kBrands;
}

inline const std::vector<std::string>& Adjectives() {
    static const std::vector<std::string> kAdj = {"高精度",        "节能",       "永磁变频",
                                                  "不锈钢",        "全自动",     "智能",
                                                  "重型",          "高速",       "五轴",
                                                  "防爆",          "一级能效",   "低噪音",
                                                  "大功率",        "紧凑型",     "模块化",
                                                  "automatic",     "heavy duty", "high speed",
                                                  "energy saving", "5-axis",     "explosion proof",
                                                  "compact",       "precision",  "stainless",
                                                  "smart"};
    return kAdj;
}

class CatalogGenerator {
  public:
    explicit CatalogGenerator(unsigned seed) : rng_(seed) {
        // A long-tail vocabulary: 400 CJK characters (-> many bigrams) and 5,000 Latin words.
        for (char32_t c = 0x4E00 + 200; c < 0x4E00 + 600; ++c) cjk_.push_back(Utf8(c));
        for (int i = 0; i < 5000; ++i) latin_.push_back(LatinWord(i));
    }

    matcher::SupplyLine Supply(matcher::LineId id) {
        matcher::SupplyLine s;
        s.id = id;
        s.vendor_id = Int(1, 20000);
        const Family& family = Families()[Zipf(Families().size())];
        s.brand = Brands()[Zipf(Brands().size())];
        s.model = Model();
        s.title = s.brand + " " + s.model + " " + Adjectives()[Zipf(Adjectives().size())] + " " +
                  (Coin(0.7) ? family.zh : family.en);
        s.description = Description(Int(6, 14));
        if (Coin(0.3)) s.description += std::string(" ") + family.en;
        s.classification.id = family.cpv;
        s.price_amount = Int(5, 2000) * 1000.0;
        s.lead_time_days = Int(7, 90);
        if (Coin(0.5)) s.service_areas = {Region()};
        if (Coin(0.1)) s.excluded_areas = {Region()};
        s.vendor_region = Region();
        if (Coin(0.6)) s.certifications.push_back({Coin(0.5) ? "CE" : "CCC", "C-1", std::nullopt});
        if (Coin(0.5)) s.energy_efficiency_grade = Int(1, 5);
        if (Coin(0.5)) s.localization_rate = Int(3, 10) / 10.0;
        s.capacity_per_month = Int(1, 50);
        s.attributes.push_back({"power", Int(1, 200) * 0.5, {}, {}, "kW", ""});
        s.last_confirmed_at = 20500 + Int(0, 300);
        return s;
    }

    // A demand derived from a random catalog-like line, with some noise (different model
    // spelling, another adjective, a few description words).
    matcher::DemandLine Demand(matcher::LineId id) {
        matcher::DemandLine d;
        d.id = id;
        const Family& family = Families()[Zipf(Families().size())];
        std::string model = Model();
        if (Coin(0.5)) model.erase(std::remove(model.begin(), model.end(), '-'), model.end());
        d.title = std::string(Coin(0.5) ? family.zh : family.en) + " " + model + " " +
                  Adjectives()[Zipf(Adjectives().size())];
        if (Coin(0.5)) d.title += " " + Brands()[Zipf(Brands().size())];
        d.description = Description(Int(3, 8));
        d.classification.id = family.cpv;
        d.quantity = Int(1, 5);
        d.budget_amount = Int(10, 3000) * 1000.0;
        d.delivery_region = Region();
        d.need_by = 20800 + Int(10, 120);
        if (Coin(0.3)) {
            matcher::Requirement r;
            r.name = "power";
            r.min = Int(1, 50);
            r.unit = Coin(0.5) ? "kW" : "hp";
            r.mandatory = Coin(0.5);
            d.requirements.push_back(r);
        }
        return d;
    }

  private:
    static std::string Utf8(char32_t c) {
        std::string out;
        out.push_back(static_cast<char>(0xE0 | (c >> 12)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        return out;
    }
    static std::string LatinWord(int i) {
        static const char* kSyl[] = {"ra",  "to",   "mi",  "ken", "sol",
                                     "var", "plex", "dyn", "tec", "lo"};
        std::string w;
        int v = i + 10;
        while (v > 0) {
            w += kSyl[v % 10];
            v /= 10;
        }
        return w;
    }
    int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
    bool Coin(double p) { return std::bernoulli_distribution(p)(rng_); }
    // Skewed pick: index i with probability ~ 1/(i+1).
    std::size_t Zipf(std::size_t n) {
        const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
        const auto i = static_cast<std::size_t>(std::pow(static_cast<double>(n) + 1, u)) - 1;
        return std::min(i, n - 1);
    }
    std::string Model() {
        static const char* kPrefixes[] = {"VMC", "CK", "HTF", "IRB", "KR",
                                          "MA",  "GA", "CDL", "TX",  "XC"};
        std::string m = kPrefixes[Int(0, 9)];
        if (Coin(0.6)) m += "-";
        m += std::to_string(Int(10, 9999));
        return m;
    }
    std::string Region() {
        static const char* kProvinces[] = {"11", "31", "32", "33", "37",
                                           "44", "51", "42", "41", "35"};
        std::string r = kProvinces[Zipf(10)];
        if (Coin(0.7)) r += std::to_string(Int(1, 13) + 100).substr(1);
        return r;
    }
    std::string Description(int words) {
        std::string out;
        for (int i = 0; i < words; ++i) {
            if (i) out += ' ';
            if (Coin(0.6)) {
                const int len = Int(2, 4);
                for (int c = 0; c < len; ++c) out += cjk_[Zipf(cjk_.size())];
            } else {
                out += latin_[Zipf(latin_.size())];
            }
        }
        return out;
    }

    std::mt19937 rng_;
    std::vector<std::string> cjk_;
    std::vector<std::string> latin_;
};

}  // namespace renewmatch::bench
