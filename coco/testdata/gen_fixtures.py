#!/usr/bin/python3
"""Regenerates coco/testdata from ../shared/data/coco128 (run from the repository root:
/usr/bin/python3 coco/testdata/gen_fixtures.py).

- mini/: three real coco128 images (landscape, crowd RLE, portrait) and their annotations
  (instances.json: every annotation of those images, all 80 categories).
- mini/expected.json: counts computed here with plain json, for the Go tests to compare.
- formats/: the same small picture saved as grayscale JPEG, CMYK JPEG, RGBA PNG, paletted PNG,
  16-bit grayscale PNG and as 8-bit RGB PNG (the reference pixels), plus a truncated JPEG;
  formats/expected.json holds PIL's RGB conversion of a few pixels of each.
"""
import json, os, shutil
import numpy as np
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, '..', '..', '..', 'shared', 'data', 'coco128')
IDS = [536, 643, 562]

def mini():
    out = os.path.join(ROOT, 'mini')
    os.makedirs(os.path.join(out, 'images'), exist_ok=True)
    d = json.load(open(os.path.join(SRC, 'annotations', 'instances_train2017.json')))
    images = [i for i in d['images'] if i['id'] in IDS]
    anns = [a for a in d['annotations'] if a['image_id'] in IDS]
    for i in images:
        shutil.copy(os.path.join(SRC, 'train2017', i['file_name']), os.path.join(out, 'images', i['file_name']))
    j = {'info': d['info'], 'licenses': d['licenses'], 'images': images, 'annotations': anns, 'categories': d['categories']}
    json.dump(j, open(os.path.join(out, 'instances.json'), 'w'))
    exp = {
        'images': len(images), 'annotations': len(anns), 'categories': len(d['categories']),
        'crowd': sum(a['iscrowd'] for a in anns),
        'rle': sum(isinstance(a['segmentation'], dict) for a in anns),
        'per_image': {str(i['id']): sum(a['image_id'] == i['id'] for a in anns) for i in images},
        'polygon_points': sum(len(p) // 2 for a in anns if isinstance(a['segmentation'], list) for p in a['segmentation']),
    }
    json.dump(exp, open(os.path.join(out, 'expected.json'), 'w'), indent=1)

def formats():
    out = os.path.join(ROOT, 'formats')
    os.makedirs(out, exist_ok=True)
    im = Image.open(os.path.join(SRC, 'train2017', '000000000536.jpg')).convert('RGB').resize((64, 48), Image.BILINEAR)
    im.save(os.path.join(out, 'rgb.png'))
    im.convert('L').save(os.path.join(out, 'gray.jpg'), quality=95)
    im.convert('CMYK').save(os.path.join(out, 'cmyk.jpg'), quality=95)
    rgba = im.convert('RGBA'); rgba.putalpha(200); rgba.save(os.path.join(out, 'rgba.png'))
    im.convert('P', palette=Image.ADAPTIVE, colors=32).save(os.path.join(out, 'palette.png'))
    g16 = np.array(im.convert('L')).astype(np.uint16) * 257
    Image.fromarray(g16).save(os.path.join(out, 'gray16.png'))
    im.save(os.path.join(out, 'rgb.jpg'), quality=95)
    b = open(os.path.join(out, 'rgb.jpg'), 'rb').read()
    open(os.path.join(out, 'truncated.jpg'), 'wb').write(b[:len(b) // 2])
    open(os.path.join(out, 'notanimage.jpg'), 'wb').write(b'hello, not an image\n')
    pts = [(0, 0), (63, 47), (10, 20), (40, 5)]
    exp = {}
    for name in ['rgb.png', 'gray.jpg', 'cmyk.jpg', 'rgba.png', 'palette.png', 'gray16.png']:
        p = Image.open(os.path.join(out, name))
        # PIL clips 16-bit values when converting; a 16-bit PNG's expected pixels are its high bytes.
        rgb = p.convert('RGB') if p.mode not in ('I', 'I;16') else im.convert('L').convert('RGB')
        exp[name] = {'mode': p.mode, 'size': list(p.size), 'pixels': [list(rgb.getpixel(q)) for q in pts]}
    exp['points'] = pts
    # PIL's BILINEAR resize (what detectron2's ResizeTransform calls) up and down, and mirrored.
    for (w, h) in [(100, 75), (30, 20), (64, 101)]:
        im.resize((w, h), Image.BILINEAR).save(os.path.join(out, 'resize_%dx%d.png' % (w, h)))
    im.transpose(Image.FLIP_LEFT_RIGHT).resize((100, 75), Image.BILINEAR).save(os.path.join(out, 'resize_flip_100x75.png'))
    json.dump(exp, open(os.path.join(out, 'expected.json'), 'w'), indent=1)

def masktarget():
    """torchvision's roi_align (aligned=True, sampling_ratio=0), as detectron2's BitMasks.crop_and_resize, >= 0.5."""
    import torch
    from torchvision.ops import roi_align
    g = torch.Generator().manual_seed(0)
    H, W, M = 19, 23, 7
    yy, xx = torch.meshgrid(torch.arange(H, dtype=torch.float64), torch.arange(W, dtype=torch.float64), indexing='ij')
    img = (((yy - 9.3) ** 2 / 40 + (xx - 11.1) ** 2 / 70) < 1).to(torch.float32)
    img[2:5, 15:21] = 1
    boxes = [[0, 0, 23, 19], [3.2, 4.7, 17.9, 15.1], [10.5, 1.25, 22.75, 6.5], [-2, -3, 8, 30], [5, 5, 5.4, 5.3], [1, 2, 40.5, 11]]
    out = roi_align(img[None, None], [torch.tensor(boxes, dtype=torch.float32)], (M, M), 1.0, 0, True)
    exp = {'h': H, 'w': W, 'm': M, 'image': img.to(torch.uint8).flatten().tolist(), 'boxes': boxes,
           'masks': [(o[0] >= 0.5).to(torch.uint8).flatten().tolist() for o in out]}
    json.dump(exp, open(os.path.join(ROOT, 'masktarget.json'), 'w'))

def torchvision_resize():
    """GeneralizedRCNNTransform's output sizes, and its bilinear / nearest resizing of a real picture and a mask."""
    import torch
    import torch.nn.functional as F
    from torchvision.models.detection.transform import GeneralizedRCNNTransform, _resize_image_and_masks
    sizes = []
    for (h, w, short, mx) in [(480, 640, 800, 1333), (427, 640, 800, 1333), (218, 640, 800, 1333), (640, 423, 800, 1333),
                              (375, 500, 672, 1333), (333, 500, 800, 1333), (500, 333, 800, 1333), (1000, 3000, 800, 1333), (3, 3000, 800, 1333),
                              (48, 64, 52, 1000), (48, 64, 20, 1000), (48, 64, 64, 70)]:
        t = GeneralizedRCNNTransform(short, mx, [0, 0, 0], [1, 1, 1]).eval()
        il, _ = t([torch.zeros(3, h, w)])
        sizes.append([h, w, short, mx] + list(il.image_sizes[0]))
    im = torch.tensor(np.array(Image.open(os.path.join(ROOT, 'formats', 'rgb.png'))), dtype=torch.float32).permute(2, 0, 1)
    g = torch.Generator().manual_seed(1)
    mask = (torch.rand(1, 48, 64, generator=g) > 0.5).to(torch.uint8)
    cases = []
    for (short, mx) in [(52, 1000), (20, 1000), (64, 70)]:
        out, tgt = _resize_image_and_masks(im, float(short), float(mx), {'masks': mask})
        cases.append({'short': short, 'max': mx, 'h': out.shape[1], 'w': out.shape[2],
                      'pixels': [round(float(v), 3) for v in out.flatten()],
                      'mask': tgt['masks'][0].flatten().tolist()})
    json.dump({'sizes': sizes, 'mask': mask[0].flatten().tolist(), 'cases': cases},
              open(os.path.join(ROOT, 'torchvision_resize.json'), 'w'))

mini()
formats()
masktarget()
torchvision_resize()
