<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Native;

use Drupal\entra_provisioning\Native\Exception\NativeUnavailableException;
use Drupal\entra_provisioning\Native\FfiLoader;
use PHPUnit\Framework\Attributes\DataProvider;
use PHPUnit\Framework\TestCase;

/**
 * Which library file a module folder uses for a machine, in the layout of a
 * release tarball (lib/linux-<arch>/) or of "make module" (lib/), and what a
 * machine without a library is told. Files only: nothing is loaded.
 */
final class LibraryLocationTest extends TestCase {

  private string $module;

  protected function setUp(): void {
    $this->module = sys_get_temp_dir() . '/entra-location-' . getmypid() . '-' . bin2hex(random_bytes(4));
    mkdir($this->module . '/lib', 0777, TRUE);
  }

  protected function tearDown(): void {
    $files = new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator($this->module, \FilesystemIterator::SKIP_DOTS), \RecursiveIteratorIterator::CHILD_FIRST);
    foreach ($files as $file) {
      $file->isDir() ? rmdir($file->getPathname()) : unlink($file->getPathname());
    }
    rmdir($this->module);
  }

  /**
   * @return array<string, array{0: string, 1: string, 2: ?string}>
   */
  public static function machineProvider(): array {
    return [
      'x86_64' => ['Linux', 'x86_64', 'linux-x86_64'],
      'amd64 (BSD name)' => ['Linux', 'amd64', 'linux-x86_64'],
      'aarch64' => ['Linux', 'aarch64', 'linux-aarch64'],
      'arm64 (some kernels)' => ['Linux', 'arm64', 'linux-aarch64'],
      'upper case' => ['Linux', 'AARCH64', 'linux-aarch64'],
      '32-bit ARM' => ['Linux', 'armv7l', NULL],
      'ppc64le' => ['Linux', 'ppc64le', NULL],
      'macOS on Apple silicon' => ['Darwin', 'arm64', NULL],
    ];
  }

  /**
   * @dataProvider machineProvider
   */
  #[DataProvider('machineProvider')]
  public function testReleaseDirectoryOfAMachine(string $os, string $machine, ?string $directory): void {
    $this->assertSame($directory, FfiLoader::releaseDirectory($os, $machine));
  }

  public function testAReleasePicksTheLibraryOfTheMachine(): void {
    $x86 = $this->library('linux-x86_64', 0x3E);
    $arm = $this->library('linux-aarch64', 0xB7);

    $this->assertSame($x86, FfiLoader::moduleLibraryPath($this->module, 'Linux', 'x86_64'));
    $this->assertSame($arm, FfiLoader::moduleLibraryPath($this->module, 'Linux', 'aarch64'));
    $this->assertSame($arm, FfiLoader::moduleLibraryPath($this->module . '/', 'Linux', 'arm64'));
    $this->assertSame('x86_64', FfiLoader::elfMachine($x86));
    $this->assertSame('aarch64', FfiLoader::elfMachine($arm));
  }

  public function testTheReleaseLibraryWinsOverALocalBuild(): void {
    $local = $this->library('', 0x3E);
    $this->assertSame($local, FfiLoader::moduleLibraryPath($this->module, 'Linux', 'x86_64'), '"make module" layout');
    $x86 = $this->library('linux-x86_64', 0x3E);
    $this->assertSame($x86, FfiLoader::moduleLibraryPath($this->module, 'Linux', 'x86_64'));
    // A machine the release has no folder for still finds the local build.
    $this->assertSame($local, FfiLoader::moduleLibraryPath($this->module, 'Linux', 'aarch64'));
  }

  public function testAReleaseWithoutThisMachineNamesWhatToDownload(): void {
    $this->library('linux-x86_64', 0x3E);
    $path = FfiLoader::moduleLibraryPath($this->module, 'Linux', 'aarch64');
    $this->assertSame($this->module . '/lib/linux-aarch64/libentra_provisioning.so', $path, 'the error names the file a release would have');

    $message = FfiLoader::missingLibraryMessage($path, 'Linux', 'aarch64');
    $this->assertStringContainsString('No library at ' . $path, $message);
    $this->assertStringContainsString('holds lib/linux-x86_64/ only', $message);
    $this->assertStringContainsString("this machine (php_uname('m') = aarch64) needs lib/linux-aarch64/", $message);
    $this->assertStringContainsString('entra_provisioning-<version>.tar.gz', $message);
    $this->assertStringContainsString('make module', $message);
  }

  public function testAnEmptyModuleFolderNamesBothWays(): void {
    $path = FfiLoader::moduleLibraryPath($this->module, 'Linux', 'x86_64');
    $this->assertSame($this->module . '/lib/libentra_provisioning.so', $path);

    $message = FfiLoader::missingLibraryMessage($path, 'Linux', 'x86_64');
    $this->assertStringContainsString('lib/linux-x86_64/libentra_provisioning.so', $message, 'what the release tarball holds');
    $this->assertStringContainsString('make module', $message);
    $this->assertStringContainsString("\$settings['entra_provisioning']['library']", $message);
  }

  public function testAMachineNoReleaseShipsFor(): void {
    $this->library('linux-x86_64', 0x3E);
    $this->library('linux-aarch64', 0xB7);
    $path = FfiLoader::moduleLibraryPath($this->module, 'Linux', 'ppc64le');
    $this->assertSame($this->module . '/lib/libentra_provisioning.so', $path);

    $message = FfiLoader::missingLibraryMessage($path, 'Linux', 'ppc64le');
    $this->assertStringContainsString('no prebuilt one for this machine (Linux ppc64le)', $message);
    $this->assertStringContainsString('lib/linux-x86_64/ and lib/linux-aarch64/ only', $message);
    $this->assertStringContainsString('make module', $message);
  }

  public function testTheLoaderThrowsTheMessage(): void {
    if (!FfiLoader::extensionLoaded()) {
      $this->markTestSkipped('ext-ffi is not loaded: load() stops before looking at the file.');
    }
    $this->library('linux-aarch64', 0xB7);
    $here = FfiLoader::releaseDirectory(PHP_OS_FAMILY, php_uname('m'));
    if ($here === NULL || $here === 'linux-aarch64') {
      $this->markTestSkipped('needs an x86_64 machine, so that the aarch64-only release lacks it');
    }
    $path = FfiLoader::moduleLibraryPath($this->module);
    $header = $this->module . '/lib/' . FfiLoader::HEADER_FILE;
    file_put_contents($header, "uint32_t entra_abi_version(void);\n");
    try {
      FfiLoader::load($path, $header, FfiLoader::MODE_CDEF);
      $this->fail('a missing library loaded');
    }
    catch (NativeUnavailableException $e) {
      $this->assertSame(FfiLoader::missingLibraryMessage($path), $e->getMessage());
    }
  }

  public function testALibraryOfAnotherArchitectureIsRefusedByName(): void {
    if (!FfiLoader::extensionLoaded() || FfiLoader::releaseDirectory(PHP_OS_FAMILY, php_uname('m')) !== 'linux-x86_64') {
      $this->markTestSkipped('needs ext-ffi on an x86_64 machine');
    }
    $arm = $this->library('linux-aarch64', 0xB7);
    $header = $this->module . '/lib/' . FfiLoader::HEADER_FILE;
    file_put_contents($header, "uint32_t entra_abi_version(void);\n");
    $this->expectException(NativeUnavailableException::class);
    $this->expectExceptionMessage('is built for aarch64, and this machine is x86_64');
    FfiLoader::load($arm, $header, FfiLoader::MODE_CDEF);
  }

  public function testThePreloadHeaderNamesTheLibrary(): void {
    $library = $this->library('linux-x86_64', 0x3E);
    $other = $this->module . '/other.h';
    file_put_contents($other, "#define FFI_SCOPE \"SOMETHING_ELSE\"\n#define FFI_LIB \"/opt/other.so\"\n");
    $ours = $this->module . '/entra.h';
    file_put_contents($ours, "#define FFI_SCOPE \"" . FfiLoader::SCOPE . "\"\n#define FFI_LIB \"" . $library . "\"\nuint32_t entra_abi_version(void);\n");
    $this->assertSame($library, FfiLoader::preloadedLibrary($other . PATH_SEPARATOR . $ours));
    $this->assertSame($library, FfiLoader::preloadedLibrary($this->module . '/*.h'), 'ffi.preload accepts globs');
    $this->assertNull(FfiLoader::preloadedLibrary($other));
    $this->assertNull(FfiLoader::preloadedLibrary(''));
  }

  public function testElfMachineOfOtherFiles(): void {
    $text = $this->module . '/lib/notes.txt';
    file_put_contents($text, str_repeat('not an ELF file ', 4));
    $this->assertNull(FfiLoader::elfMachine($text));
    $this->assertNull(FfiLoader::elfMachine($this->module . '/lib/none.so'));
    $riscv = $this->library('linux-riscv64', 0xF3);
    $this->assertSame('ELF machine 0xF3', FfiLoader::elfMachine($riscv));
  }

  /**
   * Writes a file with the start of a 64-bit little-endian ELF header (the
   * bytes the loader reads), under lib/$directory/.
   */
  private function library(string $directory, int $machine): string {
    $dir = $this->module . '/lib' . ($directory !== '' ? '/' . $directory : '');
    if (!is_dir($dir)) {
      mkdir($dir, 0777, TRUE);
    }
    $path = $dir . '/' . FfiLoader::LIBRARY_FILE;
    // e_ident (ELFCLASS64, ELFDATA2LSB, version 1), e_type ET_DYN, e_machine.
    file_put_contents($path, "\x7FELF\x02\x01\x01" . str_repeat("\0", 9) . pack('v', 3) . pack('v', $machine) . str_repeat("\0", 44));

    return $path;
  }

}
