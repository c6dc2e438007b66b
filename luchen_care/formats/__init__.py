"""One date format everywhere, in either language: YYYY-MM-DD, and times as YYYY-MM-DD HH:mm:ss
(Asia/Shanghai, ``TIME_ZONE``). ``FORMAT_MODULE_PATH`` points here, over Django's locale formats."""
