"""Report wording in English, Simplified Chinese (``zh`` = ``zh-Hans``, mainland readers) and
Traditional Chinese (``zh-Hant``).

The Simplified text is written out below with the seed's terms (顾客满意度指数, 感知质量, 感知价值,
顾客期望, 顾客抱怨, 顾客忠诚); the Traditional text is converted from it with OpenCC (``s2t``).
Labels from instrument.yaml go through :func:`to_script` so a report never mixes scripts,
whichever script the user wrote the labels in.
"""

from __future__ import annotations

from functools import lru_cache

LANGUAGES = ("en", "zh", "zh-Hans", "zh-Hant")


def normalise_language(language: str) -> str:
    """``en``, ``zh-Hans`` or ``zh-Hant`` (``zh`` means Simplified)."""
    return {"zh": "zh-Hans"}.get(language, language)


@lru_cache(maxsize=4)
def _converter(config: str):
    import opencc

    return opencc.OpenCC(config)


def to_script(text: str, language: str) -> str:
    """``text`` in the script of ``language`` (Chinese converted by OpenCC; others unchanged)."""
    lang = normalise_language(language)
    if lang == "zh-Hans":
        return _converter("t2s").convert(text)
    if lang == "zh-Hant":
        return _converter("s2t").convert(text)
    return text


EN: dict[str, str] = {
    "title": "Customer satisfaction index study",
    "study": "Study",
    "version": "Version",
    "toc": "Contents",
    "summary": "Executive summary",
    "method": "Method",
    "questions": "Per-question summaries",
    "model": "The model",
    "ipa": "Where to act, and segments",
    "appendix": "Appendix",
    "not_run": "This stage has not run for this version: {what} is not in {folder}.",
    "ci": "{level:.0%} confidence interval",
    "ci_short": "{level:.0%} CI",
    "half_ci": "half-width of the {ci}",
    # headline
    "csi_acsi_name": "Customer satisfaction index (CSI)",
    "csi_acsi_def": "The customer satisfaction index is the ACSI-style satisfaction score: "
    "the customer satisfaction construct (CS) of the structural model, its items combined with "
    "the PLS outer weights, averaged over the respondents with the survey weights and expressed "
    "on a 0–100 scale.",
    "csi_ind_name": "Weighted indicator index",
    "csi_ind_def": "The weighted indicator index averages every item's 0–100 score with the "
    "weights of the study's indicator hierarchy (weights of the constructs times weights of "
    "their items), survey-weighted over the respondents.",
    "headline_sentence": "{name}: {value:.1f} out of 100 ({ci}: {lo:.1f} to {hi:.1f}).",
    "secondary_h": "Secondary figure",
    "secondary_sentence": "{name}: {value:.1f} ({ci}: {lo:.1f} to {hi:.1f}).",
    "in_words": "In words",
    "wave_none": "No earlier wave of this study was given, so no change is reported (re-runs "
    "of the same wave are versions, not waves, and are never compared).",
    "wave_change": "Against the previous wave ({prev}), the index moved from {prev_v:.1f} to "
    "{cur:.1f}: {diff:+.1f} points ({ci}: {lo:+.1f} to {hi:+.1f}; two-sided z test, "
    "z = {z:.2f}, p = {p}) — {verdict}.",
    "significant": "a significant change at the {alpha:.0%} level",
    "not_significant": "not a significant change at the {alpha:.0%} level",
    "drivers": "Strongest drivers of satisfaction (total effects on CS): {list}.",
    "drivers_none": "The model has not run, so no drivers are reported.",
    "priorities": "Top priorities (largest importance × gap to 100): {list}.",
    "priorities_none": "No importance–performance results, so no priorities are reported.",
    "warnings_h": "Warnings",
    "warnings_none": "No quality warning: HTMT ≤ 0.90, AVE ≥ 0.50 and composite reliability "
    "≥ 0.70 for every construct{extra}.",
    "warn_htmt": "{a} and {b}: HTMT = {v:.2f} > 0.90 — the two constructs may not be distinct "
    "(discriminant validity).",
    "warn_ave": "{a}: AVE = {v:.2f} < 0.50 — the construct explains less than half of its "
    "items' variance.",
    "warn_rhoc": "{a}: composite reliability ρC = {v:.2f} < 0.70 — low reliability.",
    "warn_rr": "Response rate (AAPOR RR1) = {v:.1f}% < {thr:.0f}% — non-response bias is "
    "possible; weighting adjusts for it only through the auxiliary variables.",
    "warn_deff": "Weighting design effect 1 + CV² = {v:.2f} > {thr:.1f} — unequal weights cost "
    "precision (effective sample size {neff:,.0f} of {n:,}).",
    "extra_rr_deff": ", a response rate of at least {rr:.0f}% and a weighting design effect of at "
    "most {deff:.1f}",
    "construct": "Construct",
    "estimate": "Score",
    "se": "SE",
    "ci_low": "CI low",
    "ci_high": "CI high",
    "n": "n",
    "lv_scores": "Construct scores (0–100)",
    "score_chart": "Construct scores with confidence intervals",
    "score": "Score (0–100)",
    # method
    "start_responses": "The study starts from the collected responses: there is no sampling "
    "design or fieldwork record for this version.",
    "design": "Sampling design",
    "design_text": "{method} sample of {n_target:,} units from a frame of {frame:,}"
    "{strata}; planned completes {n_complete}.",
    "design_strata": ", stratified by {strata}",
    "dispositions": "Fieldwork and response rate",
    "disposition": "Outcome",
    "rr_text": "Response rate AAPOR RR1 = {rr1:.1f}% (RR2 = {rr2:.1f}% with partial interviews).",
    "cleaning": "Cleaning",
    "cleaning_text": "{rows_in:,} records received, {rows_out:,} kept ({dropped:,} removed).",
    "rule": "Check",
    "rows_removed": "Records",
    "weighting": "Weighting",
    "weighting_text": "{n:,} respondents weighted; Kish effective sample size {neff:,.0f}; "
    "weighting design effect 1 + CV² = {deff:.2f}.",
    "count": "Count",
    "pct": "%",
    "w_pct": "Weighted %",
    "w_se": "SE (points)",
    # questions
    "item": "Question",
    "answer": "Answer",
    "unweighted_tick": "unweighted %",
    "answers_of": "Answers to the {construct} questions",
    "likert_title": "Distribution of answers: {scale}",
    "suppressed_note": "– : fewer than {k} respondents (suppressed, with a second cell where "
    "needed so the hidden count cannot be derived).",
    "suppression_summary": "Small-cell protection: {n} cell(s) with fewer than {k} respondents "
    "are suppressed in the tables and charts of this report.",
    "suppression_none": "Small-cell protection: no cell has fewer than {k} respondents.",
    "weighted_basis": "Percentages weighted with the final survey weights; standard errors "
    "design-based (replicate weights or linearisation under the sampling design).",
    "unweighted_basis": "Weights are not available for this version: percentages are unweighted.",
    "labels_note": "Answers are shown as analysed, after cleaning: reverse-coded questions "
    "({rev}) are turned round so that a high value means more of the construct, and amounts "
    "({qty}) are grouped into five bands.",
    "band": "{lo} {op_lo} x {op_hi} {hi}{unit}",
    "raw_code": "code {code}",
    "other_code": "other value {code}",
    # model
    "path_title": "Structural model",
    "path_note": "Standardized coefficients; * p<.05, ** p<.01, *** p<.001; dashed: negative; "
    "R² under each explained construct.",
    "path_note_boot": "Standardized coefficients; * the {level:.0%} bootstrap interval "
    "excludes 0; dashed: negative; R² under each explained construct.",
    "path_from": "From",
    "path_to": "To",
    "coef": "Coefficient",
    "p": "p",
    "sig": "Sig.",
    "dot_missing": "The path diagram needs Graphviz's dot program, which is not installed "
    "(Debian: apt-get install graphviz); the paths are listed in the table below.",
    "fit": "Fit",
    "fit_text": "Estimator: {est}; n = {n:,}; {extra}",
    "invariance": "Measurement invariance across groups",
    "invariance_text": "Each level adds equality constraints across the groups ({groups}); a "
    "level holds when the chi-square difference test is not significant (p ≥ 0.05) or CFI "
    "falls by at most 0.010 and RMSEA rises by at most 0.015 (Chen 2007). Segment scores may "
    "be compared only where scalar invariance holds.",
    "inv_level": "Level",
    "inv_holds": "Holds",
    "quality": "Measurement quality",
    "quality_intro": "Criteria as in SmartPLS and seminr (Hair et al. 2022): loadings ≥ 0.708, "
    "Cronbach's α, ρA and ρC between 0.70 and 0.95, AVE ≥ 0.50, HTMT < 0.90 (bootstrap upper "
    "limit < 1 when available), Fornell–Larcker √AVE above every correlation, VIF < 5, f² "
    "0.02 / 0.15 / 0.35 small / medium / large.",
    "reliability": "Reliability and convergent validity",
    "loadings": "Outer loadings",
    "htmt": "Discriminant validity: HTMT",
    "fl": "Fornell–Larcker criterion (diagonal: √AVE)",
    "vif": "Collinearity: VIF",
    "r2_h": "Explained variance and effect sizes",
    "r2": "R²",
    "r2_adj": "Adjusted R²",
    "f2": "f²",
    "mark": "Check",
    "pass": "pass",
    "warn": "warn",
    "indicator": "Item",
    "loading": "Loading",
    "pair": "Pair",
    "value": "Value",
    "ci_boot": "Bootstrap CI",
    # ipa
    "ipa_title": "Importance–performance",
    "ipa_rule": "Rule: importance is the total effect on satisfaction (CS); performance the "
    "score on 0–100. Points are cut at the average importance ({icut:.2f}) and the average "
    "performance ({pcut:.1f}): above-average importance with below-average performance is "
    "'improve first'. Every point is ranked by its priority = importance × (100 − performance), "
    "the satisfaction to gain if the gap to 100 were closed.",
    "importance": "Importance",
    "performance": "Performance (0–100)",
    "quadrants": "Improve first|Keep up the good work|Low priority|Possible overkill",
    "quadrant": "Quadrant",
    "gap": "Gap to 100 (points)",
    "below_avg": "Below average (points)",
    "priority": "Priority",
    "rank": "Rank",
    "priority_h": "Priority ranking ({level})",
    "level_item": "questions",
    "level_construct": "constructs",
    "improve_first_n": "{n} point(s) fall in 'improve first': {names}.",
    "improve_none": "No point falls in 'improve first'; the ranking still shows where a gain "
    "would be largest.",
    "segments": "Segments",
    "segment": "Segment",
    "segment_chart": "{name} by segment",
    "segment_priorities": "Top priorities by segment",
    "rows_masked": "{n} row(s) with fewer than {k} respondents: estimates masked (–).",
    "segment_suppressed": "Segment(s) with fewer than {k} respondents are not shown: {names}.",
    "comparability_untested": "Measurement invariance across segments was not tested (set "
    "the grouping column in the model configuration): differences between segments may reflect "
    "how the segments answer the questions, not only their satisfaction.",
    "comparability_ok_micom": "Segments may be compared: MICOM (Henseler et al. 2016) "
    "establishes configural and compositional invariance for every construct ({groups}).",
    "comparability_ok_scalar": "Segments may be compared: scalar measurement invariance holds "
    "across the groups (CB-SEM, Chen 2007 rule).",
    "comparability_warn": "Warning: measurement invariance does not hold for {items}; do not "
    "compare these segment scores directly.",
    "comparability_warn_scalar": "Warning: scalar measurement invariance does not hold across "
    "the groups (highest level that holds: {level}); do not compare segment scores directly.",
    "micom": "Measurement invariance of composites (MICOM)",
    "micom_text": "MICOM (Henseler, Ringle & Sarstedt 2016) by permutation: step 1 configural, "
    "step 2 compositional invariance (correlation c of the composites built with each group's "
    "weights at least its 5% permutation quantile), step 3 equal composite means and variances "
    "(inside the 2.5%–97.5% permutation quantiles). Segment scores may be compared where steps "
    "1 and 2 hold.",
    "micom_step": "Step",
    "micom_statistic": "Statistic",
    "micom_interval": "Permutation quantiles",
    "micom_verdict": "Verdict",
    "comparison": "Comparison",
    # appendix
    "appendix_intro": "Configuration, diagnostics and full tables, for the record; the same "
    "content is in report/diagnostics.json.",
    "manifest": "Provenance",
    "files": "Files read by this report",
    "inputs": "Input files named by the configuration",
    "file": "File",
    "sha256": "SHA-256",
    "packages": "Package versions",
    "config": "Configuration",
    "config_hash": "Configuration hash",
    "seed": "Seeds",
    "full_tables": "Full estimate tables",
    "diagnostics": "Stage diagnostics",
    "key": "Key",
    "yes": "yes",
    "no": "no",
    "language": "en",
}

ZH: dict[str, str] = {
    "title": "顾客满意度指数调查报告",
    "study": "调查",
    "version": "版本",
    "toc": "目录",
    "summary": "摘要",
    "method": "调查方法",
    "questions": "各题统计",
    "model": "模型",
    "ipa": "改进重点与细分比较",
    "appendix": "附录",
    "not_run": "本版本尚未执行此阶段:{folder} 中没有 {what}。",
    "ci": "{level:.0%} 置信区间",
    "ci_short": "{level:.0%} 置信区间",
    "half_ci": "{ci}半宽",
    "csi_acsi_name": "顾客满意度指数(CSI)",
    "csi_acsi_def": "顾客满意度指数即 ACSI 式满意度得分:结构模型中顾客满意度(CS)潜变量,"
    "其题目以 PLS 外部权重合成,按抽样权数对受访者加权平均,并换算为 0–100 分。",
    "csi_ind_name": "加权指标指数",
    "csi_ind_def": "加权指标指数按本调查指标体系的权重(潜变量权重乘以其题目权重)对各题 0–100 分"
    "加权平均,并按抽样权数对受访者加权。",
    "headline_sentence": "{name}:{value:.1f} 分(满分 100;{ci}:{lo:.1f} 至 {hi:.1f})。",
    "secondary_h": "辅助指标",
    "secondary_sentence": "{name}:{value:.1f}({ci}:{lo:.1f} 至 {hi:.1f})。",
    "in_words": "要点",
    "wave_none": "未提供本调查的上一期数据,因此不报告变化(同一期的重新运行是版本而不是调查期,不作比较)。",
    "wave_change": "与上一期({prev})相比,指数由 {prev_v:.1f} 变为 {cur:.1f}:变化 {diff:+.1f} 分"
    "({ci}:{lo:+.1f} 至 {hi:+.1f};双侧 z 检验,z = {z:.2f},p = {p})— {verdict}。",
    "significant": "在 {alpha:.0%} 水平上显著",
    "not_significant": "在 {alpha:.0%} 水平上不显著",
    "drivers": "对顾客满意度影响最大的因素(对 CS 的总效应):{list}。",
    "drivers_none": "模型尚未运行,因此不报告影响因素。",
    "priorities": "最优先改进(重要性 × 与 100 分的差距最大):{list}。",
    "priorities_none": "没有重要性–表现分析结果,因此不报告改进重点。",
    "warnings_h": "警示",
    "warnings_none": "没有质量警示:所有潜变量 HTMT ≤ 0.90、AVE ≥ 0.50、组合信度 ≥ 0.70{extra}。",
    "warn_htmt": "{a} 与 {b}:HTMT = {v:.2f} > 0.90 — 两个潜变量可能无法区分(区分效度)。",
    "warn_ave": "{a}:AVE = {v:.2f} < 0.50 — 潜变量解释的题目方差不到一半。",
    "warn_rhoc": "{a}:组合信度 ρC = {v:.2f} < 0.70 — 信度偏低。",
    "warn_rr": "回应率(AAPOR RR1)= {v:.1f}% < {thr:.0f}% — 可能存在无回应偏差;加权只能通过辅助变量加以调整。",
    "warn_deff": "加权设计效应 1 + CV² = {v:.2f} > {thr:.1f} — 权数不均降低精度"
    "(有效样本量 {neff:,.0f},实际 {n:,})。",
    "extra_rr_deff": ",回应率不低于 {rr:.0f}%,加权设计效应不超过 {deff:.1f}",
    "construct": "潜变量",
    "estimate": "得分",
    "se": "标准误",
    "ci_low": "下限",
    "ci_high": "上限",
    "n": "样本数",
    "lv_scores": "各潜变量得分(0–100)",
    "score_chart": "各潜变量得分及置信区间",
    "score": "得分(0–100)",
    "start_responses": "本调查从已收集的回答开始:本版本没有抽样设计与访问记录。",
    "design": "抽样设计",
    "design_text": "{method}抽样:从 {frame:,} 个单位的抽样框中抽取 {n_target:,} 个单位{strata};"
    "计划完成 {n_complete} 份。",
    "design_strata": ",按 {strata} 分层",
    "dispositions": "访问结果与回应率",
    "disposition": "结果",
    "rr_text": "回应率 AAPOR RR1 = {rr1:.1f}%(含部分完成的 RR2 = {rr2:.1f}%)。",
    "cleaning": "数据清理",
    "cleaning_text": "收到 {rows_in:,} 条记录,保留 {rows_out:,} 条(删除 {dropped:,} 条)。",
    "rule": "检查",
    "rows_removed": "记录数",
    "weighting": "加权",
    "weighting_text": "加权受访者 {n:,} 人;Kish 有效样本量 {neff:,.0f};加权设计效应 1 + CV² = {deff:.2f}。",
    "count": "频数",
    "pct": "%",
    "w_pct": "加权 %",
    "w_se": "标准误(百分点)",
    "item": "题目",
    "answer": "答案",
    "unweighted_tick": "未加权 %",
    "answers_of": "{construct}各题的回答",
    "likert_title": "回答分布:{scale}",
    "suppressed_note": "– :少于 {k} 位受访者(已隐藏;必要时另隐藏一格,以免由合计推算)。",
    "suppression_summary": "小单元格保护:本报告的表与图中隐藏了 {n} 个少于 {k} 位受访者的单元格。",
    "suppression_none": "小单元格保护:没有少于 {k} 位受访者的单元格。",
    "weighted_basis": "百分比以最终抽样权数加权;标准误按抽样设计计算(重复权数或线性化法)。",
    "unweighted_basis": "本版本没有权数:百分比未加权。",
    "labels_note": "答案按清理后的分析值显示:反向题({rev})已转向,数值越高表示该潜变量越强;"
    "数量题({qty})分为五个区间。",
    "band": "{lo} {op_lo} x {op_hi} {hi}{unit}",
    "raw_code": "代码 {code}",
    "other_code": "其他值 {code}",
    "path_title": "结构模型",
    "path_note": "标准化系数;* p<.05,** p<.01,*** p<.001;虚线:负向;被解释潜变量下方为 R²。",
    "path_note_boot": "标准化系数;* {level:.0%} 自助法区间不含 0;虚线:负向;被解释潜变量下方为 R²。",
    "path_from": "自",
    "path_to": "至",
    "coef": "系数",
    "p": "p 值",
    "sig": "显著性",
    "dot_missing": "路径图需要 Graphviz 的 dot 程序,但未安装(Debian:apt-get install graphviz);"
    "路径见下表。",
    "fit": "拟合",
    "fit_text": "估计方法:{est};n = {n:,};{extra}",
    "invariance": "跨组测量不变性",
    "invariance_text": "每一层级在各组({groups})之间增加等同约束;若卡方差异检验不显著(p ≥ 0.05),"
    "或 CFI 下降不超过 0.010 且 RMSEA 上升不超过 0.015(Chen 2007),则该层级成立。只有标量不变性成立时,"
    "各细分群体的得分才可比较。",
    "inv_level": "层级",
    "inv_holds": "成立",
    "quality": "测量质量",
    "quality_intro": "按 SmartPLS 与 seminr 的标准(Hair 等 2022):载荷 ≥ 0.708;Cronbach α、ρA、ρC "
    "介于 0.70 与 0.95;AVE ≥ 0.50;HTMT < 0.90(有自助法时上限 < 1);Fornell–Larcker:√AVE "
    "大于所有相关;VIF < 5;f² 0.02 / 0.15 / 0.35 为小 / 中 / 大。",
    "reliability": "信度与收敛效度",
    "loadings": "外部载荷",
    "htmt": "区分效度:HTMT",
    "fl": "Fornell–Larcker 标准(对角线:√AVE)",
    "vif": "共线性:VIF",
    "r2_h": "解释方差与效应量",
    "r2": "R²",
    "r2_adj": "调整后 R²",
    "f2": "f²",
    "mark": "检查",
    "pass": "通过",
    "warn": "警示",
    "indicator": "题目",
    "loading": "载荷",
    "pair": "潜变量对",
    "value": "值",
    "ci_boot": "自助法区间",
    "ipa_title": "重要性–表现分析",
    "ipa_rule": "规则:重要性为对顾客满意度(CS)的总效应,表现为 0–100 分。以平均重要性({icut:.2f})"
    "与平均表现({pcut:.1f})划分象限:重要性高于平均而表现低于平均者为“优先改进”。所有点按优先度 = "
    "重要性 × (100 − 表现)排序,即补足与 100 分的差距时可提升的满意度。",
    "importance": "重要性",
    "performance": "表现(0–100)",
    "quadrants": "优先改进|继续保持|次要改进|可能过度",
    "quadrant": "象限",
    "gap": "与 100 分的差距(分)",
    "below_avg": "低于平均(分)",
    "priority": "优先度",
    "rank": "排名",
    "priority_h": "优先排序({level})",
    "level_item": "题目",
    "level_construct": "潜变量",
    "improve_first_n": "{n} 个点落在“优先改进”:{names}。",
    "improve_none": "没有点落在“优先改进”;排序仍显示提升空间最大之处。",
    "segments": "细分比较",
    "segment": "细分",
    "segment_chart": "各细分的{name}",
    "segment_priorities": "各细分的优先改进",
    "rows_masked": "{n} 行少于 {k} 位受访者:估计值已隐藏(–)。",
    "segment_suppressed": "少于 {k} 位受访者的细分未显示:{names}。",
    "comparability_untested": "未检验各细分群体之间的测量不变性(可在模型配置中设置分组列):"
    "细分群体之间的差异可能来自答题方式,而不仅是满意度的差异。",
    "comparability_ok_micom": "各细分群体可以比较:MICOM(Henseler 等 2016)表明每个潜变量的"
    "构型不变性与组合不变性均成立({groups})。",
    "comparability_ok_scalar": "各细分群体可以比较:跨组标量测量不变性成立(CB-SEM,Chen 2007 规则)。",
    "comparability_warn": "警示:{items} 的测量不变性不成立;请勿直接比较这些细分群体的得分。",
    "comparability_warn_scalar": "警示:跨组标量测量不变性不成立(成立的最高层级:{level});"
    "请勿直接比较细分群体的得分。",
    "micom": "组合测量不变性(MICOM)",
    "micom_text": "MICOM(Henseler、Ringle 与 Sarstedt 2016),置换检验:第 1 步构型不变性;第 2 步"
    "组合不变性(用各组权重构造的组合变量的相关 c 不低于其置换分布的 5% 分位数);第 3 步组合均值与"
    "方差相等(位于置换分布的 2.5%–97.5% 分位数之间)。第 1、2 步成立时,细分群体得分可以比较。",
    "micom_step": "步骤",
    "micom_statistic": "统计量",
    "micom_interval": "置换分位数",
    "micom_verdict": "结论",
    "comparison": "比较",
    "appendix_intro": "配置、诊断信息与完整表格,供存档;相同内容见 report/diagnostics.json。",
    "manifest": "来源信息",
    "files": "本报告读取的文件",
    "inputs": "配置所指定的输入文件",
    "file": "文件",
    "sha256": "SHA-256",
    "packages": "软件包版本",
    "config": "配置",
    "config_hash": "配置哈希值",
    "seed": "随机种子",
    "full_tables": "完整估计表",
    "diagnostics": "各阶段诊断信息",
    "key": "项目",
    "yes": "是",
    "no": "否",
    "language": "zh-Hans",
}


@lru_cache(maxsize=1)
def _hant() -> dict[str, str]:
    out = {k: to_script(v, "zh-Hant") for k, v in ZH.items()}
    out["language"] = "zh-Hant"
    return out


def text_table(language: str) -> dict[str, str]:
    lang = normalise_language(language)
    if lang == "zh-Hans":
        return ZH
    if lang == "zh-Hant":
        return _hant()
    return EN


def t(language: str, key: str, **kw) -> str:
    """The wording ``key`` in ``language`` with ``kw`` filled in."""
    s = text_table(language).get(key) or EN[key]
    return s.format(**kw) if kw else s


# Values the stages write as codes (dispositions, cleaning checks, design methods): shown in
# words. English words are the codes with spaces; Chinese below.
TERMS_ZH: dict[str, str] = {
    "complete": "完成",
    "partial": "部分完成",
    "refusal": "拒访",
    "noncontact": "未接触",
    "unknown_eligibility": "资格未知",
    "ineligible": "不合资格",
    "other": "其他",
    "attention": "注意力检查未通过",
    "duplicate": "重复记录",
    "min_answered": "作答题数不足",
    "speeder": "作答过快",
    "straightlining": "直线作答",
    "pilot": "预调查",
    "multistage": "多阶段",
    "stratified": "分层",
    "srs": "简单随机",
    "cluster": "整群",
    "pps": "PPS",
    "systematic": "系统",
    "small": "小",
    "medium": "中",
    "large": "大",
}
TERMS_EN: dict[str, str] = {
    "attention": "failed attention check",
    "duplicate": "duplicate record",
    "min_answered": "too few questions answered",
    "speeder": "answered too fast",
    "straightlining": "straight-lining",
    "pilot": "pilot interview",
    "unknown_eligibility": "unknown eligibility",
    "srs": "simple random",
    "pps": "PPS",
}


def term(language: str, code: str) -> str:
    """A code written by a stage (e.g. a disposition) in words."""
    lang = normalise_language(language)
    if lang == "en":
        return TERMS_EN.get(code, code.replace("_", " "))
    return to_script(TERMS_ZH.get(code, code.replace("_", " ")), lang)
