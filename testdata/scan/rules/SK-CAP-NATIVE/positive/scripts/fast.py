import ctypes
lib = ctypes.CDLL('libfast.so')
