<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support\Fake;

use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Native\Exception\NativeUnavailableException;
use Drupal\entra_provisioning\Native\LibraryFacts;
use Drupal\entra_provisioning\Native\NativeClientInterface;
use Drupal\entra_provisioning\Provisioning\NativeFactoryInterface;

/**
 * Scripted environment/probe/validation, and records what it was given.
 */
final class FakeNativeFactory implements NativeFactoryInterface {

  /**
   * @var array<string, mixed>
   */
  public array $environment;

  /**
   * @var array<string, mixed>
   */
  public array $probe;

  public ?EntraException $validationError = NULL;

  /**
   * Configurations passed to create()/validate().
   *
   * @var list<array<string, mixed>>
   */
  public array $configs = [];

  public ?NativeClientInterface $client = NULL;

  /**
   * The real library's factory, for the calls that are pure functions of
   * the library (decide, checkCertificate): a fake must not carry a copy of
   * its rules.
   */
  public ?NativeFactoryInterface $library = NULL;

  /**
   * Questions passed to decide().
   *
   * @var list<array<string, mixed>>
   */
  public array $questions = [];

  /**
   * @var array{properties: list<array{name: string, max_length: ?int}>, fixed: list<string>}
   */
  public array $mappable = ['properties' => [['name' => 'givenName', 'max_length' => 64], ['name' => 'jobTitle', 'max_length' => 128]], 'fixed' => ['userPrincipalName']];

  /**
   * @param array<string, mixed> $environment
   * @param array<string, mixed> $probe
   */
  public function __construct(array $environment = [], array $probe = []) {
    $this->environment = $environment + [
      'mode' => 'cdef', 'reason' => 'ffi.enable=preload allows FFI::cdef on the CLI.', 'sapi' => 'cli',
      'ffi_loaded' => TRUE, 'ffi_enable' => 'preload', 'library_exists' => TRUE, 'header_exists' => TRUE,
    ];
    $this->probe = $probe + ['ok' => TRUE, 'version' => '0.1.0', 'abi_version' => 1, 'expected_abi' => 1, 'mode' => 'cdef', 'error' => NULL];
  }

  public function create(array $config, string $library, string $header, ?string $mode): NativeClientInterface {
    $this->configs[] = $config;
    if ($this->client === NULL) {
      throw new \LogicException('No fake client configured.');
    }

    return $this->client;
  }

  public function validate(array $config, string $library, string $header, ?string $mode): void {
    $this->configs[] = $config;
    if ($this->validationError !== NULL) {
      throw $this->validationError;
    }
  }

  public function environment(string $library, string $header): array {
    return $this->environment;
  }

  public function probe(string $library, string $header, ?string $mode): array {
    return $this->probe;
  }

  public function mappableProperties(string $library, string $header, ?string $mode): array {
    return $this->mappable;
  }

  /**
   * The facts the real library reported when the fixture was written; a
   * test (LibraryFactsTest) keeps the fixture equal to the library's output.
   */
  public function describe(string $library, string $header, ?string $mode): LibraryFacts {
    return new LibraryFacts(self::fixtureFacts());
  }

  public function decide(array $question, string $library, string $header, ?string $mode): array {
    $this->questions[] = $question;
    if ($this->library === NULL) {
      // What the module meets when the library cannot be loaded.
      throw new NativeUnavailableException('No library in this test: set $library to an EntraNativeFactory.');
    }

    return $this->library->decide($question, $library, $header, $mode);
  }

  public function checkCertificate(
    string $certificatePem,
    #[\SensitiveParameter]
    ?string $privateKeyPem,
    string $library,
    string $header,
    ?string $mode
  ): array {
    if ($this->library === NULL) {
      // What the module meets when the library cannot be loaded.
      throw new NativeUnavailableException('No library in this test: set $library to an EntraNativeFactory.');
    }

    return $this->library->checkCertificate($certificatePem, $privateKeyPem, $library, $header, $mode);
  }

  /**
   * @return array<string, mixed>
   */
  public static function fixtureFacts(): array {
    $json = file_get_contents(dirname(__DIR__, 4) . '/tests/fixtures/library-facts.json');

    return json_decode((string) $json, TRUE, 512, JSON_THROW_ON_ERROR);
  }

}
