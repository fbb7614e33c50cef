"""Where each national system answers on the simulated gateway, and what a success looks like.

Paths follow the shapes of one province's public LGSP guide where known
(`/dmdc/...`, `/apiCSDLDKDN/...`, `/apiHoTichTuPhap/...`, `/apiLyLichTuPhap/...`,
`/apiBHXH/...`); the others are plausible stand-ins of the same style.
"""

from __future__ import annotations

from typing import Any

BASE_PATHS: dict[str, str] = {
    "dmdc": "/dmdc",
    "ql-phuong-tien": "/apiQLPhuongTien",
    "csdl-dang-kiem": "/apiDangKiem",
    "csdl-dkdn": "/apiCSDLDKDN",
    "tro-giup-xa-hoi": "/apiTroGiupXaHoi",
    "csdl-cbccvc": "/apiCSDLCBCCVC",
    "ma-so-ngan-sach": "/apiMaSoNganSach",
    "csdl-gia": "/apiCSDLGia",
    "csdl-dat-dai": "/apiCSDLDatDai",
    "lien-thong-tnmt-thue": "/apiTNMTThue",
    "csdl-vbqppl": "/apiCSDLVBQPPL",
    "ho-tich": "/apiHoTichTuPhap",
    "ly-lich-tu-phap": "/apiLyLichTuPhap",
    "dvc-bo-cong-an": "/apiDVCBoCongAn",
    "dvc-bo-xay-dung": "/apiDVCBoXayDung",
    "so-suc-khoe-dien-tu": "/apiSoSucKhoe",
    "buu-dien-dvc": "/apiBuuDienDVC",
    "csdl-bao-hiem": "/apiBHXH",
}


def base_path(system: str) -> str:
    """The system's path prefix on the gateway (`/api/<code>` for systems not listed)."""
    return BASE_PATHS.get(system, f"/api/{system}")


def success_body(system: str, path: str) -> dict[str, Any]:
    return {
        "error_code": 0,
        "message": "Thành công",
        "data": {"system": system, "path": path, "items": []},
    }


def error_body() -> dict[str, Any]:
    # The civil-status API's code for a refused caller: a 200 that is not a success.
    return {"error_code": 100, "message": "AUTHEN_ERROR", "data": None}
