# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Photos uploaded by customers: JPEG or PNG only, re-encoded from their
pixels (which drops EXIF, GPS and every other metadata) and thumbnailed."""
import io

from PIL import Image, ImageOps, UnidentifiedImageError

from trytond.i18n import gettext

from .exceptions import RepairError

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a decompression bomb fails before decoding
MAX_SIDE = 2048
THUMBNAIL = (320, 320)
FORMATS = {'JPEG': 'image/jpeg', 'PNG': 'image/png'}


def _encode(image, format_):
    buffer = io.BytesIO()
    if format_ == 'JPEG':
        image.convert('RGB').save(buffer, 'JPEG', quality=85, optimize=True)
    else:
        if image.mode not in {'RGB', 'RGBA', 'L', 'LA'}:
            image = image.convert('RGBA')
        image.save(buffer, 'PNG', optimize=True)
    return buffer.getvalue()


def clean(data, name=''):
    """(image bytes, thumbnail bytes, content type) of the upload data;
    RepairError when it is not a JPEG or PNG image of at most 5 MB"""
    if len(data) > MAX_BYTES:
        raise RepairError(gettext(
                'marcier_wechat.msg_photo_size', name=name, size=5))
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as probe:
            format_ = probe.format
            probe.verify()
        if format_ not in FORMATS:
            raise RepairError(gettext(
                    'marcier_wechat.msg_photo_format', name=name))
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            # Turn it as the camera said, since the EXIF goes away
            image = ImageOps.exif_transpose(image)
            if image.mode not in {'RGB', 'RGBA', 'L', 'LA'}:
                image = image.convert('RGBA')
            pixels = Image.new(image.mode, image.size)
            pixels.paste(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError):
        raise RepairError(gettext(
                'marcier_wechat.msg_photo_format', name=name)) from None
    pixels.thumbnail((MAX_SIDE, MAX_SIDE))
    thumbnail = pixels.copy()
    thumbnail.thumbnail(THUMBNAIL)
    return (_encode(pixels, format_), _encode(thumbnail, format_),
        FORMATS[format_])
