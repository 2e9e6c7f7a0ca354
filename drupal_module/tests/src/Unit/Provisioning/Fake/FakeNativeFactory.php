<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Provisioning\Fake;

use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Native\NativeClientInterface;
use Drupal\entra_provisioning\Provisioning\NativeFactoryInterface;

/**
 * Scripted environment/probe/validation, and records what it was given.
 */
final class FakeNativeFactory implements NativeFactoryInterface
{
    /**
     * @var array<string, mixed>
     */
    public array $environment;

    /**
     * @var array<string, mixed>
     */
    public array $probe;

    public ?EntraException $validationError = null;

    /**
     * Configurations passed to create()/validate().
     *
     * @var list<array<string, mixed>>
     */
    public array $configs = [];

    public ?NativeClientInterface $client = null;

    /**
     * @var array{properties: list<array{name: string, max_length: ?int}>, fixed: list<string>}
     */
    public array $mappable = ['properties' => [['name' => 'givenName', 'max_length' => 64], ['name' => 'jobTitle', 'max_length' => 128]], 'fixed' => ['userPrincipalName']];

    /**
     * @param array<string, mixed> $environment
     * @param array<string, mixed> $probe
     */
    public function __construct(array $environment = [], array $probe = [])
    {
        $this->environment = $environment + [
            'mode' => 'cdef', 'reason' => 'ffi.enable=preload allows FFI::cdef on the CLI.', 'sapi' => 'cli',
            'ffi_loaded' => true, 'ffi_enable' => 'preload', 'library_exists' => true, 'header_exists' => true,
        ];
        $this->probe = $probe + ['ok' => true, 'version' => '0.1.0', 'abi_version' => 1, 'expected_abi' => 1, 'mode' => 'cdef', 'error' => null];
    }

    public function create(array $config, string $library, string $header, ?string $mode): NativeClientInterface
    {
        $this->configs[] = $config;
        if ($this->client === null) {
            throw new \LogicException('No fake client configured.');
        }

        return $this->client;
    }

    public function validate(array $config, string $library, string $header, ?string $mode): void
    {
        $this->configs[] = $config;
        if ($this->validationError !== null) {
            throw $this->validationError;
        }
    }

    public function environment(string $library, string $header): array
    {
        return $this->environment;
    }

    public function probe(string $library, string $header, ?string $mode): array
    {
        return $this->probe;
    }

    public function mappableProperties(string $library, string $header, ?string $mode): array
    {
        return $this->mappable;
    }
}
