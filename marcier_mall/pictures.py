# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Product pictures of the demo catalogue, drawn with Pillow (no downloads):
a side view of each vehicle type in a studio, outdoors, and a spec card."""
import io

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 960, 640
SCALE = 2  # drawn twice as big, then shrunk: smooth edges
TYRE = (38, 40, 46)
RIM = (200, 205, 212)
GLASS = (170, 205, 230)
SEAT = (60, 62, 70)
STEEL = (120, 126, 136)


def _font(size):
    for name in ('DejaVuSans-Bold.ttf', 'LiberationSans-Bold.ttf'):
        try:
            return ImageFont.truetype(name, size * SCALE)
        except OSError:
            continue
    return ImageFont.load_default(size * SCALE)


def _shade(colour, factor):
    return tuple(max(0, min(255, int(c * factor))) for c in colour)


class Painter:
    "Draws on a canvas with coordinates in the 960 x 640 frame"

    def __init__(self, image):
        self.draw = ImageDraw.Draw(image)

    def box(self, x0, y0, x1, y1, fill, radius=0, outline=None):
        self.draw.rounded_rectangle(
            [x0 * SCALE, y0 * SCALE, x1 * SCALE, y1 * SCALE],
            radius=radius * SCALE, fill=fill, outline=outline,
            width=2 * SCALE if outline else 0)

    def poly(self, points, fill):
        self.draw.polygon([(x * SCALE, y * SCALE) for x, y in points],
            fill=fill)

    def circle(self, x, y, r, fill):
        self.draw.ellipse(
            [(x - r) * SCALE, (y - r) * SCALE, (x + r) * SCALE,
                (y + r) * SCALE], fill=fill)

    def wheel(self, x, y, r):
        self.circle(x, y, r, TYRE)
        self.circle(x, y, r * 0.55, RIM)
        self.circle(x, y, r * 0.18, STEEL)

    def text(self, x, y, text, size, fill, anchor='la'):
        self.draw.text((x * SCALE, y * SCALE), text, font=_font(size),
            fill=fill, anchor=anchor)


def _seats(p, x0, rows, y, colour):
    for i in range(rows):
        x = x0 + i * 120
        p.box(x, y - 70, x + 26, y, SEAT, radius=8)
        p.box(x, y - 10, x + 90, y + 12, SEAT, radius=6)


def _sightseeing(p, colour, ground):
    rows = 3
    p.box(150, ground - 150, 820, ground - 50, colour, radius=26)
    p.box(130, ground - 60, 840, ground - 40, _shade(colour, 0.7), radius=10)
    _seats(p, 260, rows + 1, ground - 150, colour)
    for x in (190, 430, 640, 790):
        p.box(x, ground - 330, x + 10, ground - 150, STEEL)
    p.box(150, ground - 350, 820, ground - 320, (245, 245, 240), radius=12)
    p.poly([(150, ground - 150), (230, ground - 300), (245, ground - 300),
            (180, ground - 150)], GLASS)
    p.wheel(250, ground - 40, 42)
    p.wheel(720, ground - 40, 42)


def _golf(p, colour, ground):
    p.box(250, ground - 140, 700, ground - 55, colour, radius=30)
    _seats(p, 400, 2, ground - 140, colour)
    for x in (300, 640):
        p.box(x, ground - 320, x + 10, ground - 140, STEEL)
    p.box(270, ground - 340, 680, ground - 312, (250, 250, 250), radius=12)
    p.poly([(270, ground - 140), (300, ground - 300), (312, ground - 300),
            (290, ground - 140)], GLASS)
    p.box(640, ground - 230, 690, ground - 140, (110, 80, 50), radius=8)
    p.wheel(330, ground - 40, 40)
    p.wheel(620, ground - 40, 40)


def _patrol(p, colour, ground):
    p.box(220, ground - 260, 740, ground - 50, colour, radius=36)
    p.box(250, ground - 240, 460, ground - 150, GLASS, radius=14)
    p.box(480, ground - 240, 700, ground - 150, GLASS, radius=14)
    p.box(220, ground - 130, 740, ground - 110, (250, 250, 250))
    p.text(480, ground - 105, "PATROL", 22, (30, 60, 140), 'ma')
    p.box(400, ground - 290, 560, ground - 262, (220, 40, 50), radius=10)
    p.box(480, ground - 290, 560, ground - 262, (40, 90, 220), radius=10)
    p.wheel(330, ground - 40, 44)
    p.wheel(640, ground - 40, 44)


def _sanitation(p, colour, ground):
    p.box(170, ground - 250, 360, ground - 60, (245, 245, 245), radius=28)
    p.box(195, ground - 230, 330, ground - 150, GLASS, radius=12)
    p.box(370, ground - 280, 820, ground - 70, colour, radius=20)
    for x in range(410, 800, 60):
        p.box(x, ground - 260, x + 8, ground - 90, _shade(colour, 0.8))
    p.box(150, ground - 70, 840, ground - 45, STEEL, radius=8)
    p.wheel(260, ground - 40, 44)
    p.wheel(700, ground - 40, 44)


def _forklift(p, colour, ground):
    p.box(300, ground - 170, 640, ground - 55, colour, radius=22)
    p.box(520, ground - 210, 660, ground - 100, _shade(colour, 0.75),
        radius=18)
    p.box(420, ground - 230, 470, ground - 170, SEAT, radius=10)
    for x in (330, 560):
        p.box(x, ground - 360, x + 12, ground - 170, (40, 40, 40))
    p.box(320, ground - 372, 582, ground - 352, (40, 40, 40), radius=6)
    p.box(250, ground - 420, 272, ground - 40, STEEL)
    p.box(228, ground - 420, 238, ground - 40, STEEL)
    p.box(120, ground - 62, 250, ground - 50, (70, 70, 70))
    p.box(180, ground - 140, 250, ground - 62, (190, 150, 90))
    p.wheel(350, ground - 40, 40)
    p.wheel(590, ground - 36, 34)


def _scrubber(p, colour, ground):
    p.box(330, ground - 230, 650, ground - 60, colour, radius=40)
    p.box(420, ground - 300, 470, ground - 230, SEAT, radius=10)
    p.box(560, ground - 320, 574, ground - 230, (40, 40, 40))
    p.circle(567, ground - 322, 26, (40, 40, 40))
    p.box(300, ground - 60, 680, ground - 30, (90, 95, 105), radius=10)
    p.box(360, ground - 200, 620, ground - 180, _shade(colour, 1.25),
        radius=6)
    p.wheel(600, ground - 40, 30)


def _sweeper(p, colour, ground):
    p.box(220, ground - 270, 440, ground - 60, colour, radius=34)
    p.box(245, ground - 250, 415, ground - 160, GLASS, radius=14)
    p.box(450, ground - 210, 760, ground - 60, _shade(colour, 0.8),
        radius=24)
    p.circle(230, ground - 20, 34, (230, 180, 40))
    p.circle(770, ground - 20, 34, (230, 180, 40))
    p.wheel(330, ground - 40, 40)
    p.wheel(660, ground - 40, 40)


KINDS = {
    'sightseeing': _sightseeing,
    'golf': _golf,
    'patrol': _patrol,
    'sanitation': _sanitation,
    'forklift': _forklift,
    'scrubber': _scrubber,
    'sweeper': _sweeper,
    }


def _background(image, top, bottom):
    draw = ImageDraw.Draw(image)
    height = image.height
    for y in range(height):
        t = y / height
        draw.line([(0, y), (image.width, y)], fill=tuple(
                int(a + (b - a) * t) for a, b in zip(top, bottom)))


def _save(image):
    image = image.resize((WIDTH, HEIGHT), Image.LANCZOS)
    data = io.BytesIO()
    image.save(data, format='JPEG', quality=88)
    return data.getvalue()


def picture(kind, colour, scene, title, facts=()):
    """A JPEG picture of a vehicle of kind in colour; scene is 'studio',
    'outdoor' or 'card' (the vehicle with its key facts)"""
    size = (WIDTH * SCALE, HEIGHT * SCALE)
    image = Image.new('RGB', size)
    p = Painter(image)
    if scene == 'outdoor':
        _background(image, (150, 200, 240), (225, 240, 250))
        p.box(0, 420, WIDTH, HEIGHT, (120, 175, 95))
        p.box(0, 480, WIDTH, 560, (150, 150, 155))
        for x in range(40, WIDTH, 160):
            p.circle(x + 40, 360, 70, (70, 140, 80))
            p.box(x + 34, 380, x + 46, 430, (100, 70, 40))
        ground = 540
    elif scene == 'card':
        _background(image, (248, 249, 251), (232, 236, 242))
        p.box(0, 0, WIDTH, 96, _shade(colour, 0.8))
        p.text(40, 30, title, 34, (255, 255, 255))
        for i, (label, value) in enumerate(facts[:3]):
            x = 40 + i * 300
            p.box(x, 470, x + 270, 600, (255, 255, 255), radius=16,
                outline=(220, 224, 230))
            p.text(x + 24, 490, label, 20, (110, 116, 128))
            p.text(x + 24, 530, value, 36, (30, 34, 44))
        ground = 450
    else:
        _background(image, (246, 247, 249), (214, 220, 228))
        ground = 560
    p.draw.ellipse([150 * SCALE, (ground - 12) * SCALE, 810 * SCALE,
            (ground + 14) * SCALE], fill=(96, 100, 110) if scene != 'card'
        else (200, 204, 210))
    if scene == 'card':
        # The vehicle smaller, above the facts
        inner = Image.new('RGB', size, (0, 0, 0))
        KINDS[kind](Painter(inner), colour, 560)
        mask = inner.convert('L').point(lambda v: 255 if v else 0)
        small = (int(size[0] * 0.62), int(size[1] * 0.62))
        inner = inner.resize(small, Image.LANCZOS)
        mask = mask.resize(small, Image.LANCZOS)
        image.paste(inner, (int(size[0] * 0.19), int(60 * SCALE)), mask)
    else:
        KINDS[kind](p, colour, ground)
    return _save(image)
