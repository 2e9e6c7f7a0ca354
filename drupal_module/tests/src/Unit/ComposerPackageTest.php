<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit;

use PHPUnit\Framework\TestCase;

/**
 * The module as a Composer package (a path repository on the extracted
 * release, or on drupal_module/): what it requires agrees with the info file.
 */
final class ComposerPackageTest extends TestCase {

  public function testPackage(): void {
    $module = dirname(__DIR__, 3);
    $composer = json_decode((string) file_get_contents($module . '/composer.json'), TRUE, 512, JSON_THROW_ON_ERROR);
    $info = yaml_parse_file($module . '/entra_provisioning.info.yml');

    $this->assertSame('drupal/entra_provisioning', $composer['name']);
    $this->assertSame('drupal-module', $composer['type'], 'composer/installers puts it in modules/contrib/');
    $this->assertSame('>=8.1', $composer['require']['php']);
    $this->assertSame('8.1', (string) $info['php']);
    $this->assertSame('*', $composer['require']['ext-ffi']);
    $this->assertSame($info['core_version_requirement'], $composer['require']['drupal/core']);
    // The version is the release's (make dist writes it into the tarball's copy).
    $this->assertArrayNotHasKey('version', $composer);
  }

}
