<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Provisioning;

use Drupal\entra_provisioning\Provisioning\ModuleVersion;
use PHPUnit\Framework\TestCase;

/**
 * The module's release version, as "make dist" (and Drupal.org's packager)
 * write it into the info file.
 */
final class ModuleVersionTest extends TestCase {

  public function testTheVersionLinesOfARelease(): void {
    $info = "name: 'Entra ID provisioning'\ntype: module\ncore_version_requirement: ^10.3 || ^11\n\n# Information added by make dist\nversion: '0.1.0'\nproject: 'entra_provisioning'\ndatestamp: 1796177640\n";
    $this->assertSame('0.1.0', ModuleVersion::parse($info));
    $this->assertSame('2.1.0-beta1', ModuleVersion::parse("version: \"2.1.0-beta1\"\n"));
    $this->assertSame('8.x-1.3', ModuleVersion::parse("version: 8.x-1.3 # drupal.org\n"));
  }

  public function testASourceCheckoutHasNone(): void {
    $this->assertNull(ModuleVersion::parse("name: x\ntype: module\ncore_version_requirement: ^10.3 || ^11\n"));
    // Only the top-level key counts, not a nested one.
    $this->assertNull(ModuleVersion::parse("dependencies:\n  version: '1.0'\n"));
    $this->assertNull(ModuleVersion::parse("version: ''\n"));
  }

  public function testTheRepositoryInfoFileCarriesNoVersion(): void {
    // A version in the repository would make every source checkout claim a
    // release; make dist adds it to the tarball's copy only.
    $this->assertNull(ModuleVersion::fromInfoFile(dirname(__DIR__, 4) . '/entra_provisioning.info.yml'));
    $this->assertNull(ModuleVersion::fromInfoFile('/nonexistent/entra_provisioning.info.yml'));
  }

}
