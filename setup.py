from setuptools import find_packages, setup


def readme() -> str:
    with open('README.md', encoding='utf-8') as f:
        return f.read()


setup(
    name='mmspine',
    version='0.1.0',
    description='Spine radiograph lesion detection and classification '
    'on MMDetection 3.x (VinDr-SpineXR)',
    long_description=readme(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests')),
    python_requires='>=3.9',
    license='Apache License 2.0',
    zip_safe=False)
